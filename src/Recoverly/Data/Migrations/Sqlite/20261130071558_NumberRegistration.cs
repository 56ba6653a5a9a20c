using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Recoverly.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class NumberRegistration : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Registration",
                table: "Numbers",
                type: "TEXT",
                maxLength: 20,
                nullable: false,
                defaultValue: "Registered");

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
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Registration",
                table: "Numbers");

            migrationBuilder.DropColumn(
                name: "RegistrationCheckAt",
                table: "Numbers");

            migrationBuilder.DropColumn(
                name: "RegistrationDetail",
                table: "Numbers");
        }
    }
}
