using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Recoverly.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class CallThroughLineVerification : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "LineCodeAttempts",
                table: "Businesses",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTime>(
                name: "LineCodeExpiresAt",
                table: "Businesses",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "LineCodeHash",
                table: "Businesses",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "LineCodeTo",
                table: "Businesses",
                type: "TEXT",
                maxLength: 20,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "LineVerifiedAt",
                table: "Businesses",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "VerifiedLine",
                table: "Businesses",
                type: "TEXT",
                maxLength: 20,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "LineVerificationCalls",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    BusinessId = table.Column<long>(type: "INTEGER", nullable: false),
                    To = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    At = table.Column<DateTime>(type: "TEXT", nullable: false),
                    CallSid = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LineVerificationCalls", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LineVerificationCalls_Businesses_BusinessId",
                        column: x => x.BusinessId,
                        principalTable: "Businesses",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ScreenedCalls",
                columns: table => new
                {
                    CallSid = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    BusinessId = table.Column<long>(type: "INTEGER", nullable: false),
                    AcceptedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ScreenedCalls", x => x.CallSid);
                    table.ForeignKey(
                        name: "FK_ScreenedCalls_Businesses_BusinessId",
                        column: x => x.BusinessId,
                        principalTable: "Businesses",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_LineVerificationCalls_BusinessId_At",
                table: "LineVerificationCalls",
                columns: new[] { "BusinessId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_LineVerificationCalls_To_At",
                table: "LineVerificationCalls",
                columns: new[] { "To", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_ScreenedCalls_AcceptedAt",
                table: "ScreenedCalls",
                column: "AcceptedAt");

            migrationBuilder.CreateIndex(
                name: "IX_ScreenedCalls_BusinessId",
                table: "ScreenedCalls",
                column: "BusinessId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "LineVerificationCalls");

            migrationBuilder.DropTable(
                name: "ScreenedCalls");

            migrationBuilder.DropColumn(
                name: "LineCodeAttempts",
                table: "Businesses");

            migrationBuilder.DropColumn(
                name: "LineCodeExpiresAt",
                table: "Businesses");

            migrationBuilder.DropColumn(
                name: "LineCodeHash",
                table: "Businesses");

            migrationBuilder.DropColumn(
                name: "LineCodeTo",
                table: "Businesses");

            migrationBuilder.DropColumn(
                name: "LineVerifiedAt",
                table: "Businesses");

            migrationBuilder.DropColumn(
                name: "VerifiedLine",
                table: "Businesses");
        }
    }
}
