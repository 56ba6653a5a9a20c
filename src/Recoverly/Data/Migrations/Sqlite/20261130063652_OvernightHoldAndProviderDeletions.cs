using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Recoverly.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class OvernightHoldAndProviderDeletions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "HoldTextBacksOvernight",
                table: "Businesses",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "ProviderDeletions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    BusinessId = table.Column<long>(type: "INTEGER", nullable: false),
                    RecordingSid = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    NextAttemptAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    DoneAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    LastProblem = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ProviderDeletions", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ProviderDeletions_DoneAt_NextAttemptAt",
                table: "ProviderDeletions",
                columns: new[] { "DoneAt", "NextAttemptAt" });

            migrationBuilder.CreateIndex(
                name: "IX_ProviderDeletions_RecordingSid",
                table: "ProviderDeletions",
                column: "RecordingSid",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ProviderDeletions");

            migrationBuilder.DropColumn(
                name: "HoldTextBacksOvernight",
                table: "Businesses");
        }
    }
}
