using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Recoverly.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class VoicemailAlertsAndEmergencies : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "TranscriptionStatus",
                table: "MissedCalls",
                type: "TEXT",
                maxLength: 20,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "UrgentAt",
                table: "Contacts",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "UrgentWord",
                table: "Contacts",
                type: "TEXT",
                maxLength: 40,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "EmergencyWords",
                table: "Businesses",
                type: "TEXT",
                maxLength: 1230,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Contacts_BusinessId_UrgentAt",
                table: "Contacts",
                columns: new[] { "BusinessId", "UrgentAt" },
                filter: "\"UrgentAt\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Contacts_BusinessId_UrgentAt",
                table: "Contacts");

            migrationBuilder.DropColumn(
                name: "TranscriptionStatus",
                table: "MissedCalls");

            migrationBuilder.DropColumn(
                name: "UrgentAt",
                table: "Contacts");

            migrationBuilder.DropColumn(
                name: "UrgentWord",
                table: "Contacts");

            migrationBuilder.DropColumn(
                name: "EmergencyWords",
                table: "Businesses");
        }
    }
}
