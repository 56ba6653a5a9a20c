using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Recoverly.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class LearnedLineTypesPerBusiness : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Learned line types were global; which business learned each is unknown, so they are relearned per business.
            migrationBuilder.Sql("DELETE FROM \"LearnedLineTypes\";");

            migrationBuilder.DropPrimaryKey(
                name: "PK_LearnedLineTypes",
                table: "LearnedLineTypes");

            migrationBuilder.AddColumn<long>(
                name: "BusinessId",
                table: "LearnedLineTypes",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddPrimaryKey(
                name: "PK_LearnedLineTypes",
                table: "LearnedLineTypes",
                columns: new[] { "BusinessId", "Phone" });

            migrationBuilder.AddForeignKey(
                name: "FK_LearnedLineTypes_Businesses_BusinessId",
                table: "LearnedLineTypes",
                column: "BusinessId",
                principalTable: "Businesses",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_LearnedLineTypes_Businesses_BusinessId",
                table: "LearnedLineTypes");

            migrationBuilder.DropPrimaryKey(
                name: "PK_LearnedLineTypes",
                table: "LearnedLineTypes");

            migrationBuilder.DropColumn(
                name: "BusinessId",
                table: "LearnedLineTypes");

            migrationBuilder.AddPrimaryKey(
                name: "PK_LearnedLineTypes",
                table: "LearnedLineTypes",
                column: "Phone");
        }
    }
}
