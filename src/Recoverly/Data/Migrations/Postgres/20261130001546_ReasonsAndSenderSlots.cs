using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Recoverly.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class ReasonsAndSenderSlots : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Reason",
                table: "OutboundMessages",
                type: "character varying(32)",
                maxLength: 32,
                nullable: false,
                defaultValue: "None");

            // Reasons were sentences; they become codes (Texts/Messages.cs OutboxReason), mapped to words in one place.
            migrationBuilder.Sql("""
                UPDATE "OutboundMessages" SET "Reason" = CASE
                    WHEN "StatusReason" LIKE 'Cancelled — the caller opted out%' THEN 'CallerOptedOut'
                    WHEN "StatusReason" LIKE 'Cancelled — the owner turned alerts off%' THEN 'OwnerAlertsOff'
                    WHEN "StatusReason" LIKE 'Cancelled — owner alerts are not confirmed%' THEN 'OwnerAlertsNotConfirmed'
                    WHEN "StatusReason" LIKE 'Cancelled — account deleted%' THEN 'AccountDeleted'
                    WHEN "StatusReason" LIKE 'Cancelled — email alerts are off%' THEN 'EmailAlertsOff'
                    WHEN "StatusReason" LIKE 'Expired — %(the provider kept refusing it)' THEN 'ProviderKeptRefusing'
                    WHEN "StatusReason" LIKE 'Expired — %' THEN 'NotSentInTime'
                    WHEN "StatusReason" LIKE 'Email not accepted yet%' THEN 'EmailRetrying'
                    WHEN "StatusReason" LIKE 'Provider unreachable%' THEN 'ProviderUnreachable'
                    WHEN "StatusReason" LIKE 'No answer from the provider%' THEN 'ProviderNoAnswer'
                    WHEN "StatusReason" LIKE 'Provider error (HTTP%' THEN 'ProviderServerError'
                    WHEN "ErrorCode" IS NOT NULL THEN 'ProviderError'
                    ELSE 'None' END
                WHERE "StatusReason" IS NOT NULL OR "ErrorCode" IS NOT NULL
                """);

            migrationBuilder.DropColumn(
                name: "StatusReason",
                table: "OutboundMessages");

            migrationBuilder.AddColumn<double>(
                name: "SendRatePerSecond",
                table: "Numbers",
                type: "double precision",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "SenderSlots",
                columns: table => new
                {
                    Sender = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    NextSlotTicks = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SenderSlots", x => x.Sender);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "SenderSlots");

            migrationBuilder.DropColumn(
                name: "Reason",
                table: "OutboundMessages");

            migrationBuilder.DropColumn(
                name: "SendRatePerSecond",
                table: "Numbers");

            migrationBuilder.AddColumn<string>(
                name: "StatusReason",
                table: "OutboundMessages",
                type: "character varying(300)",
                maxLength: 300,
                nullable: true);
        }
    }
}
