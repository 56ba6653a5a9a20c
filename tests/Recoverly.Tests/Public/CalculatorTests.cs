using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Recoverly.Public;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Public;

public partial class CalculatorTests
{
    public static TheoryData<double, double, double, double, double, double, int> Cases => new()
    {
        // missed/week, would book %, job $, close %  →  monthly $, yearly $, jobs that pay for $29
        { 10, 60, 350, 50, 4_550, 54_600, 1 },
        { 3, 50, 120, 40, 312, 3_744, 1 },
        { 25, 35, 1_200, 30, 13_650, 163_800, 1 },
        { 7, 33.3, 89.99, 65, 591, 7_090, 1 },
        { 1, 10, 20, 10, 1, 10, 2 },
        { 0, 60, 350, 50, 0, 0, 1 },
        { 1000, 100, 1_000_000, 100, 4_333_333_333, 52_000_000_000, 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Formula_gives_the_expected_figures(double missed, double book, double value, double close, double monthly, double yearly, int payback)
    {
        var r = MissedCallCost.Calculate(new CostInputs(missed, book, value, close));

        Assert.Equal(monthly, r.MonthlyAtRisk);
        Assert.Equal(yearly, r.YearlyAtRisk);
        Assert.Equal(payback, r.JobsToPayForPlan);
    }

    [Theory]
    [InlineData("10", "60", "350", "50", true)]
    [InlineData(" 10 ", "60%", "$1,250.50", "50", true)]
    [InlineData("2.5", "60", "350", "50", false)]
    [InlineData("-1", "60", "350", "50", false)]
    [InlineData("1001", "60", "350", "50", false)]
    [InlineData("10", "100.1", "350", "50", false)]
    [InlineData("10", "60", "0.5", "50", false)]
    [InlineData("10", "60", "1e3", "50", false)]
    [InlineData("10", "60", "350", "", false)]
    [InlineData(null, "60", "350", "50", false)]
    public void Inputs_are_validated(string? missed, string? book, string? value, string? close, bool valid)
    {
        var (inputs, errors) = MissedCallCost.Parse(missed, book, value, close);
        Assert.Equal(valid, inputs is not null);
        Assert.Equal(valid, errors.Count == 0);
    }

    /// <summary>
    /// The page's script (as the app serves it) is run by headless Chromium on the real page with other numbers typed in:
    /// it must show the same figures as <see cref="MissedCallCost"/> for every case, and the same messages for bad input.
    /// </summary>
    [Fact]
    public async Task Live_script_computes_the_same_figures_as_the_server()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var page = await app.Http.GetStringAsync("/calculator");
        // A file:// page can't fetch the app's script: put the served script in its place, unchanged.
        var script = ScriptTag().Match(page);
        Assert.True(script.Success, "the calculator page loads /js/calculator.js");
        var js = await app.Http.GetStringAsync(WebUtility.HtmlDecode(script.Groups[1].Value));
        page = page.Replace(script.Value, "<script>" + js + "</script>", StringComparison.Ordinal);

        foreach (var row in Cases)
        {
            var (missed, book, value, close) = ((double)row[0], (double)row[1], (double)row[2], (double)row[3]);
            var expected = MissedCallCost.Calculate(new CostInputs(missed, book, value, close));
            var dom = await RunInChromiumAsync(WithInputs(page, missed, book, value, close));

            Assert.Equal(MissedCallCost.Dollars(expected.MonthlyAtRisk), Output(dom, "monthly"));
            Assert.Equal(MissedCallCost.Dollars(expected.YearlyAtRisk), Output(dom, "yearly"));
            Assert.Equal(MissedCallCost.Jobs(expected.RecoveredJobsPerMonth), Output(dom, "jobs"));
            Assert.Equal(expected.JobsToPayForPlan.ToString(System.Globalization.CultureInfo.InvariantCulture), Output(dom, "payback"));
        }

        var invalid = await RunInChromiumAsync(SetInput(page, "value", "abc"));
        Assert.Contains($"<span class=\"error\" id=\"value-error\">{MissedCallCost.Messages[MissedCallCost.ValueField]}</span>", invalid);
        Assert.Contains("<div id=\"results\" aria-live=\"polite\" hidden=\"\">", invalid);
    }

    private static string WithInputs(string page, double missed, double book, double value, double close)
    {
        static string F(double v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // Blank the server's figures, so whatever shows afterwards was written by the script.
        page = Regex.Replace(page, "<strong id=\"(monthly|yearly|jobs|payback)\">[^<]*</strong>", "<strong id=\"$1\"></strong>");
        return SetInput(SetInput(SetInput(SetInput(page, "missed", F(missed)), "book", F(book)), "value", F(value)), "close", F(close));
    }

    private static string SetInput(string page, string id, string value) =>
        Regex.Replace(page, $"(<input id=\"{id}\"[^>]*? value=\")[^\"]*\"", m => m.Groups[1].Value + value + "\"");

    private static string Output(string dom, string id) =>
        WebUtility.HtmlDecode(Regex.Match(dom, $"<strong id=\"{id}\">([^<]*)</strong>").Groups[1].Value);

    private static async Task<string> RunInChromiumAsync(string html)
    {
        var file = Path.Combine(Path.GetTempPath(), $"recoverly-calc-{Guid.NewGuid():N}.html");
        await File.WriteAllTextAsync(file, html);
        try
        {
            var chromium = File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium" : "chromium";
            var start = new ProcessStartInfo(chromium)
            {
                RedirectStandardOutput = true, RedirectStandardError = true,
                ArgumentList = { "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--user-data-dir=" + file + ".profile", "--dump-dom", "file://" + file },
            };
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3)); // bounds a failure only: a cold Chromium on busy cores is slow
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"chromium did not print the page within 3 minutes: {await stderr}");
            }
            var dom = await stdout;
            Assert.True(dom.Contains("</html>", StringComparison.Ordinal), $"chromium printed no DOM: {await stderr}");
            return dom;
        }
        finally
        {
            File.Delete(file);
            try { Directory.Delete(file + ".profile", recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    [GeneratedRegex("<script src=\"(/js/calculator\\.js[^\"]*)\"></script>")]
    private static partial Regex ScriptTag();
}
