using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Recoverly.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class OwnerReportBookingQuickReplies : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "CalledBackAt",
                table: "MissedCalls",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "CallerRepliedAt",
                table: "MissedCalls",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "JobValueCents",
                table: "MissedCalls",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "LastActivityAt",
                table: "MissedCalls",
                type: "TEXT",
                nullable: false,
                defaultValue: new DateTime(1, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified));

            migrationBuilder.AddColumn<DateTime>(
                name: "OwnerRepliedAt",
                table: "MissedCalls",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "WonAt",
                table: "MissedCalls",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "BookingLink",
                table: "Businesses",
                type: "TEXT",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "EstimateBookPercent",
                table: "Businesses",
                type: "REAL",
                nullable: false,
                defaultValue: 60.0);

            migrationBuilder.AddColumn<double>(
                name: "EstimateClosePercent",
                table: "Businesses",
                type: "REAL",
                nullable: false,
                defaultValue: 50.0);

            migrationBuilder.AddColumn<double>(
                name: "EstimateJobValue",
                table: "Businesses",
                type: "REAL",
                nullable: false,
                defaultValue: 350.0);

            migrationBuilder.AddColumn<string>(
                name: "SummaryStopToken",
                table: "Businesses",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "WeeklySummary",
                table: "Businesses",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "WeeklySummaryWeek",
                table: "Businesses",
                type: "TEXT",
                maxLength: 10,
                nullable: true);

            // Existing rows: a call's row starts at the call; a contact's newest call carries the contact's last activity
            // (the replies so far), and each episode's first call learns whether the caller and the owner answered it.
            migrationBuilder.Sql("""UPDATE "MissedCalls" SET "LastActivityAt" = "At";""");
            migrationBuilder.Sql("""
                UPDATE "MissedCalls" SET "LastActivityAt" = MAX("At", (SELECT c."LastActivityAt" FROM "Contacts" c WHERE c."Id" = "MissedCalls"."ContactId"))
                WHERE "Id" IN (SELECT MAX(n."Id") FROM "MissedCalls" n WHERE n."ContactId" IS NOT NULL GROUP BY n."ContactId");
                """);
            migrationBuilder.Sql("""
                UPDATE "MissedCalls" SET "CallerRepliedAt" = (
                    SELECT MIN(m."At") FROM "InboundMessages" m
                    WHERE m."ContactId" = "MissedCalls"."ContactId" AND NOT m."FromOwner" AND m."Intent" = 'Conversation' AND m."At" >= "MissedCalls"."At"
                      AND NOT EXISTS (SELECT 1 FROM "MissedCalls" n WHERE n."ContactId" = "MissedCalls"."ContactId" AND n."EpisodeFirstCallId" IS NULL
                                      AND n."At" > "MissedCalls"."At" AND n."At" <= m."At"))
                WHERE "EpisodeFirstCallId" IS NULL AND "ContactId" IS NOT NULL;
                """);
            migrationBuilder.Sql("""
                UPDATE "MissedCalls" SET "OwnerRepliedAt" = (
                    SELECT MIN(o."CreatedAt") FROM "OutboundMessages" o
                    WHERE o."ContactId" = "MissedCalls"."ContactId" AND o."Kind" = 'OwnerReply' AND o."CreatedAt" >= "MissedCalls"."At"
                      AND NOT EXISTS (SELECT 1 FROM "MissedCalls" n WHERE n."ContactId" = "MissedCalls"."ContactId" AND n."EpisodeFirstCallId" IS NULL
                                      AND n."At" > "MissedCalls"."At" AND n."At" <= o."CreatedAt"))
                WHERE "EpisodeFirstCallId" IS NULL AND "ContactId" IS NOT NULL;
                """);

            migrationBuilder.CreateTable(
                name: "QuickReplies",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    BusinessId = table.Column<long>(type: "INTEGER", nullable: false),
                    Text = table.Column<string>(type: "TEXT", maxLength: 320, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_QuickReplies", x => x.Id);
                    table.ForeignKey(
                        name: "FK_QuickReplies_Businesses_BusinessId",
                        column: x => x.BusinessId,
                        principalTable: "Businesses",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_MissedCalls_BusinessId_LastActivityAt_Id",
                table: "MissedCalls",
                columns: new[] { "BusinessId", "LastActivityAt", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_QuickReplies_BusinessId",
                table: "QuickReplies",
                column: "BusinessId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "QuickReplies");

            migrationBuilder.DropIndex(
                name: "IX_MissedCalls_BusinessId_LastActivityAt_Id",
                table: "MissedCalls");

            migrationBuilder.DropColumn(
                name: "CalledBackAt",
                table: "MissedCalls");

            migrationBuilder.DropColumn(
                name: "CallerRepliedAt",
                table: "MissedCalls");

            migrationBuilder.DropColumn(
                name: "JobValueCents",
                table: "MissedCalls");

            migrationBuilder.DropColumn(
                name: "LastActivityAt",
                table: "MissedCalls");

            migrationBuilder.DropColumn(
                name: "OwnerRepliedAt",
                table: "MissedCalls");

            migrationBuilder.DropColumn(
                name: "WonAt",
                table: "MissedCalls");

            migrationBuilder.DropColumn(
                name: "BookingLink",
                table: "Businesses");

            migrationBuilder.DropColumn(
                name: "EstimateBookPercent",
                table: "Businesses");

            migrationBuilder.DropColumn(
                name: "EstimateClosePercent",
                table: "Businesses");

            migrationBuilder.DropColumn(
                name: "EstimateJobValue",
                table: "Businesses");

            migrationBuilder.DropColumn(
                name: "SummaryStopToken",
                table: "Businesses");

            migrationBuilder.DropColumn(
                name: "WeeklySummary",
                table: "Businesses");

            migrationBuilder.DropColumn(
                name: "WeeklySummaryWeek",
                table: "Businesses");
        }
    }
}
