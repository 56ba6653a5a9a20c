using Recoverly.Cli;

namespace Recoverly.Tests.Cli;

/// <summary>The consent CSV (CLI export and /app/consent.csv) never hands a spreadsheet a formula.</summary>
public class ConsentCsvTests
{
    [Theory]
    [InlineData("=HYPERLINK(\"http://evil.example\")", "\"'=HYPERLINK(\"\"http://evil.example\"\")\"")]
    [InlineData("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\t=1+1", "'\t=1+1")]
    [InlineData("\r=1+1", "\"'\r=1+1\"")]
    [InlineData("\uFF1D1+1", "'\uFF1D1+1")]
    [InlineData("+15125550142", "+15125550142")] // a phone number stays a phone number
    [InlineData("STOP", "STOP")]
    [InlineData("a, b", "\"a, b\"")]
    public void Every_formula_prefix_is_neutralised(string value, string cell) => Assert.Equal(cell, ConsentCsv.Field(value));
}
