using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Recoverly.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class DueIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_OutboundMessages_Status_NextAttemptAt",
                table: "OutboundMessages");

            migrationBuilder.CreateIndex(
                name: "IX_OutboundMessages_Due",
                table: "OutboundMessages",
                column: "NextAttemptAt",
                filter: "\"Status\" IN ('Pending', 'InDoubt', 'Sending')");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_OutboundMessages_Due",
                table: "OutboundMessages");

            migrationBuilder.CreateIndex(
                name: "IX_OutboundMessages_Status_NextAttemptAt",
                table: "OutboundMessages",
                columns: new[] { "Status", "NextAttemptAt" });
        }
    }
}
