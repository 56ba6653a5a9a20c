using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Recoverly.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ReportCoveringIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_MissedCalls_BusinessId_At",
                table: "MissedCalls");

            migrationBuilder.CreateIndex(
                name: "IX_MissedCalls_Report",
                table: "MissedCalls",
                columns: new[] { "BusinessId", "At", "Outcome", "EpisodeFirstCallId", "CallerRepliedAt", "OwnerRepliedAt", "CalledBackAt", "WonAt", "JobValueCents" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_MissedCalls_Report",
                table: "MissedCalls");

            migrationBuilder.CreateIndex(
                name: "IX_MissedCalls_BusinessId_At",
                table: "MissedCalls",
                columns: new[] { "BusinessId", "At" });
        }
    }
}
