using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Recoverly.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class SessionSchemaOwnerTelephonyRegistration : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_MissedCalls_BusinessId_At",
                table: "MissedCalls");

            migrationBuilder.AddColumn<string>(
                name: "Registration",
                table: "Numbers",
                type: "TEXT",
                maxLength: 20,
                nullable: false,
                defaultValue: "Registered" /* numbers in use before the check existed keep sending */);

            migrationBuilder.AddColumn<DateTime>(
                name: "RegistrationCheckAt",
                table: "Numbers",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "RegistrationDetail",
                table: "Numbers",
                type: "TEXT",
                maxLength: 300,
                nullable: true);

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

            migrationBuilder.AddColumn<bool>(
                name: "HoldTextBacksOvernight",
                table: "Businesses",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

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

            migrationBuilder.AddColumn<bool>(
                name: "LineTypeLookupOff",
                table: "Businesses",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

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
                name: "LineTypeLookups",
                columns: table => new
                {
                    Phone = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    LineType = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    Textable = table.Column<bool>(type: "INTEGER", nullable: false),
                    CarrierName = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    LookedUpAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LineTypeLookups", x => x.Phone);
                });

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

            migrationBuilder.CreateTable(
                name: "PushDevices",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    BusinessId = table.Column<long>(type: "INTEGER", nullable: false),
                    Endpoint = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    P256dh = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    Auth = table.Column<string>(type: "TEXT", maxLength: 50, nullable: false),
                    Label = table.Column<string>(type: "TEXT", maxLength: 80, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    LastSentAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PushDevices", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PushDevices_Businesses_BusinessId",
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

            migrationBuilder.CreateTable(
                name: "WebPushKeys",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false),
                    PublicKey = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    PrivateKey = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_WebPushKeys", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_MissedCalls_Report",
                table: "MissedCalls",
                columns: new[] { "BusinessId", "At", "Outcome", "EpisodeFirstCallId", "CallerRepliedAt", "OwnerRepliedAt", "CalledBackAt", "WonAt", "JobValueCents" });

            migrationBuilder.CreateIndex(
                name: "IX_Contacts_BusinessId_UrgentAt",
                table: "Contacts",
                columns: new[] { "BusinessId", "UrgentAt" },
                filter: "\"UrgentAt\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_LineVerificationCalls_BusinessId_At",
                table: "LineVerificationCalls",
                columns: new[] { "BusinessId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_LineVerificationCalls_To_At",
                table: "LineVerificationCalls",
                columns: new[] { "To", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_ProviderDeletions_DoneAt_NextAttemptAt",
                table: "ProviderDeletions",
                columns: new[] { "DoneAt", "NextAttemptAt" });

            migrationBuilder.CreateIndex(
                name: "IX_ProviderDeletions_RecordingSid",
                table: "ProviderDeletions",
                column: "RecordingSid",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PushDevices_BusinessId",
                table: "PushDevices",
                column: "BusinessId");

            migrationBuilder.CreateIndex(
                name: "IX_PushDevices_Endpoint",
                table: "PushDevices",
                column: "Endpoint",
                unique: true);

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
                name: "LineTypeLookups");

            migrationBuilder.DropTable(
                name: "LineVerificationCalls");

            migrationBuilder.DropTable(
                name: "ProviderDeletions");

            migrationBuilder.DropTable(
                name: "PushDevices");

            migrationBuilder.DropTable(
                name: "ScreenedCalls");

            migrationBuilder.DropTable(
                name: "WebPushKeys");

            migrationBuilder.DropIndex(
                name: "IX_MissedCalls_Report",
                table: "MissedCalls");

            migrationBuilder.DropIndex(
                name: "IX_Contacts_BusinessId_UrgentAt",
                table: "Contacts");

            migrationBuilder.DropColumn(
                name: "Registration",
                table: "Numbers");

            migrationBuilder.DropColumn(
                name: "RegistrationCheckAt",
                table: "Numbers");

            migrationBuilder.DropColumn(
                name: "RegistrationDetail",
                table: "Numbers");

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

            migrationBuilder.DropColumn(
                name: "HoldTextBacksOvernight",
                table: "Businesses");

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
                name: "LineTypeLookupOff",
                table: "Businesses");

            migrationBuilder.DropColumn(
                name: "LineVerifiedAt",
                table: "Businesses");

            migrationBuilder.DropColumn(
                name: "VerifiedLine",
                table: "Businesses");

            migrationBuilder.CreateIndex(
                name: "IX_MissedCalls_BusinessId_At",
                table: "MissedCalls",
                columns: new[] { "BusinessId", "At" });
        }
    }
}
