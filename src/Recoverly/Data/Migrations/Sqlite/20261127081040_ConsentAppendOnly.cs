using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Recoverly.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ConsentAppendOnly : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The consent ledger is evidence: the database itself refuses to change or delete it.
            migrationBuilder.Sql("""
                CREATE TRIGGER "ConsentEvents_no_update" BEFORE UPDATE ON "ConsentEvents"
                BEGIN SELECT RAISE(ABORT, 'consent events are append-only'); END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER "ConsentEvents_no_delete" BEFORE DELETE ON "ConsentEvents"
                BEGIN SELECT RAISE(ABORT, 'consent events are append-only'); END;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER \"ConsentEvents_no_update\";");
            migrationBuilder.Sql("DROP TRIGGER \"ConsentEvents_no_delete\";");
        }
    }
}
