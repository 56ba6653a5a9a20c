using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Recoverly.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Businesses",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Name = table.Column<string>(type: "character varying(120)", maxLength: 120, nullable: false),
                    BusinessPhone = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    OwnerPhone = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true),
                    OwnerEmail = table.Column<string>(type: "character varying(254)", maxLength: 254, nullable: true),
                    Mode = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    TimeZone = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Greeting = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    EpisodeWindowMinutes = table.Column<int>(type: "integer", nullable: false),
                    DailyTextBackCap = table.Column<int>(type: "integer", nullable: false),
                    DailyOwnerAlertCap = table.Column<int>(type: "integer", nullable: false),
                    TextingPaused = table.Column<bool>(type: "boolean", nullable: false),
                    Plan = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    TrialEndsAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    PastDueSince = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    TextBackTemplate = table.Column<string>(type: "character varying(1600)", maxLength: 1600, nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ForwardingVerifiedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    CapDay = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: true),
                    CapCount = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Businesses", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "LearnedLineTypes",
                columns: table => new
                {
                    Phone = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    LineType = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    ErrorCode = table.Column<int>(type: "integer", nullable: true),
                    LearnedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LearnedLineTypes", x => x.Phone);
                });

            migrationBuilder.CreateTable(
                name: "MessageStatusEvents",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    MessageSid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Status = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    ErrorCode = table.Column<int>(type: "integer", nullable: true),
                    ReceivedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MessageStatusEvents", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ConsentEvents",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    BusinessId = table.Column<long>(type: "bigint", nullable: false),
                    Phone = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    Kind = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    Source = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    EvidenceRef = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    EvidenceText = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ConsentEvents", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ConsentEvents_Businesses_BusinessId",
                        column: x => x.BusinessId,
                        principalTable: "Businesses",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "Contacts",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    BusinessId = table.Column<long>(type: "bigint", nullable: false),
                    Phone = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    EpisodeStartedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    EpisodeFirstCallId = table.Column<long>(type: "bigint", nullable: true),
                    EpisodeCallCount = table.Column<int>(type: "integer", nullable: false),
                    LastTextBackAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    LastActivityAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Contacts", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Contacts_Businesses_BusinessId",
                        column: x => x.BusinessId,
                        principalTable: "Businesses",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "InboundMessages",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    BusinessId = table.Column<long>(type: "bigint", nullable: false),
                    ContactId = table.Column<long>(type: "bigint", nullable: true),
                    MessageSid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    From = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    To = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    Body = table.Column<string>(type: "character varying(1600)", maxLength: 1600, nullable: false),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Intent = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    FromOwner = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_InboundMessages", x => x.Id);
                    table.ForeignKey(
                        name: "FK_InboundMessages_Businesses_BusinessId",
                        column: x => x.BusinessId,
                        principalTable: "Businesses",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "MissedCalls",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    BusinessId = table.Column<long>(type: "bigint", nullable: false),
                    ContactId = table.Column<long>(type: "bigint", nullable: true),
                    CallSid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    FromRaw = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    FromE164 = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true),
                    To = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Outcome = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    EpisodeFirstCallId = table.Column<long>(type: "bigint", nullable: true),
                    StirVerstat = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    ForwardedFrom = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    CallStatus = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true),
                    DurationSeconds = table.Column<int>(type: "integer", nullable: true),
                    RecordingUrl = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    Transcription = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MissedCalls", x => x.Id);
                    table.ForeignKey(
                        name: "FK_MissedCalls_Businesses_BusinessId",
                        column: x => x.BusinessId,
                        principalTable: "Businesses",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "Numbers",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    BusinessId = table.Column<long>(type: "bigint", nullable: false),
                    E164 = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    AssignedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Numbers", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Numbers_Businesses_BusinessId",
                        column: x => x.BusinessId,
                        principalTable: "Businesses",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "OutboundMessages",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    BusinessId = table.Column<long>(type: "bigint", nullable: false),
                    ContactId = table.Column<long>(type: "bigint", nullable: true),
                    MissedCallId = table.Column<long>(type: "bigint", nullable: true),
                    Kind = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    To = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    From = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    Body = table.Column<string>(type: "character varying(1600)", maxLength: 1600, nullable: false),
                    Status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    DedupeKey = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    NextAttemptAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    LeaseOwner = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    LeaseUntil = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    AttemptStartedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    PacedUntil = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    ProviderSid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    ProviderStatus = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true),
                    ErrorCode = table.Column<int>(type: "integer", nullable: true),
                    StatusReason = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true),
                    SentAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    DeliveredAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_OutboundMessages", x => x.Id);
                    table.ForeignKey(
                        name: "FK_OutboundMessages_Businesses_BusinessId",
                        column: x => x.BusinessId,
                        principalTable: "Businesses",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ConsentEvents_BusinessId_Phone_Id",
                table: "ConsentEvents",
                columns: new[] { "BusinessId", "Phone", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_Contacts_BusinessId_Phone",
                table: "Contacts",
                columns: new[] { "BusinessId", "Phone" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_InboundMessages_BusinessId_ContactId_At",
                table: "InboundMessages",
                columns: new[] { "BusinessId", "ContactId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_InboundMessages_MessageSid",
                table: "InboundMessages",
                column: "MessageSid",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_MessageStatusEvents_MessageSid_Status",
                table: "MessageStatusEvents",
                columns: new[] { "MessageSid", "Status" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_MissedCalls_BusinessId_At",
                table: "MissedCalls",
                columns: new[] { "BusinessId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_MissedCalls_CallSid",
                table: "MissedCalls",
                column: "CallSid",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_MissedCalls_ContactId",
                table: "MissedCalls",
                column: "ContactId");

            migrationBuilder.CreateIndex(
                name: "IX_Numbers_BusinessId",
                table: "Numbers",
                column: "BusinessId");

            migrationBuilder.CreateIndex(
                name: "IX_Numbers_E164",
                table: "Numbers",
                column: "E164",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_OutboundMessages_BusinessId_Kind_CreatedAt",
                table: "OutboundMessages",
                columns: new[] { "BusinessId", "Kind", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_OutboundMessages_BusinessId_To_Status",
                table: "OutboundMessages",
                columns: new[] { "BusinessId", "To", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_OutboundMessages_DedupeKey",
                table: "OutboundMessages",
                column: "DedupeKey",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_OutboundMessages_MissedCallId",
                table: "OutboundMessages",
                column: "MissedCallId");

            migrationBuilder.CreateIndex(
                name: "IX_OutboundMessages_ProviderSid",
                table: "OutboundMessages",
                column: "ProviderSid",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_OutboundMessages_Status_NextAttemptAt",
                table: "OutboundMessages",
                columns: new[] { "Status", "NextAttemptAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ConsentEvents");

            migrationBuilder.DropTable(
                name: "Contacts");

            migrationBuilder.DropTable(
                name: "InboundMessages");

            migrationBuilder.DropTable(
                name: "LearnedLineTypes");

            migrationBuilder.DropTable(
                name: "MessageStatusEvents");

            migrationBuilder.DropTable(
                name: "MissedCalls");

            migrationBuilder.DropTable(
                name: "Numbers");

            migrationBuilder.DropTable(
                name: "OutboundMessages");

            migrationBuilder.DropTable(
                name: "Businesses");
        }
    }
}
