using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Recoverly.Data.Migrations.Postgres
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
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "ProviderDeletions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    BusinessId = table.Column<long>(type: "bigint", nullable: false),
                    RecordingSid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    NextAttemptAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    DoneAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    LastProblem = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true)
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
