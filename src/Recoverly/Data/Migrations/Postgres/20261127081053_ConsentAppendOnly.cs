using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Recoverly.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class ConsentAppendOnly : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The consent ledger is evidence: the database itself refuses to change or delete it.
            migrationBuilder.Sql("""
                CREATE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'consent events are append-only'; END; $$;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER "ConsentEvents_append_only" BEFORE UPDATE OR DELETE ON "ConsentEvents"
                FOR EACH ROW EXECUTE FUNCTION consent_events_append_only();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER \"ConsentEvents_append_only\" ON \"ConsentEvents\";");
            migrationBuilder.Sql("DROP FUNCTION consent_events_append_only();");
        }
    }
}
