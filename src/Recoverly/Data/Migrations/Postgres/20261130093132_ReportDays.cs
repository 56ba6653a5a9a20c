using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Recoverly.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class ReportDays : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ReportDays",
                columns: table => new
                {
                    BusinessId = table.Column<long>(type: "bigint", nullable: false),
                    Day = table.Column<int>(type: "integer", nullable: false),
                    Zone = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Generation = table.Column<long>(type: "bigint", nullable: false),
                    CountedGeneration = table.Column<long>(type: "bigint", nullable: false),
                    Calls = table.Column<int>(type: "integer", nullable: false),
                    Missed = table.Column<int>(type: "integer", nullable: false),
                    Texted = table.Column<int>(type: "integer", nullable: false),
                    Replied = table.Column<int>(type: "integer", nullable: false),
                    Answered = table.Column<int>(type: "integer", nullable: false),
                    Booked = table.Column<int>(type: "integer", nullable: false),
                    RevenueCents = table.Column<long>(type: "bigint", nullable: false),
                    BookedWithoutValue = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ReportDays", x => new { x.BusinessId, x.Day });
                    table.ForeignKey(
                        name: "FK_ReportDays_Businesses_BusinessId",
                        column: x => x.BusinessId,
                        principalTable: "Businesses",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ReportDays");
        }
    }
}
