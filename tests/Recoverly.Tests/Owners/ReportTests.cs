using System.Text.RegularExpressions;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Recoverly.Businesses;
using Recoverly.Data;
using Recoverly.Owners;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Owners;

/// <summary>The money recovered (/app/report): per business-local week and month, the funnel from missed calls to booked jobs.</summary>
public class ReportTests
{
    private const string Number = "+15125550100";
    private const string A = "+15125550141", B = "+15125550142", C = "+15125550143", D = "+15125550144";

    /// <summary>
    /// Two weeks in Chicago. Week of Nov 23: A is texted, replies (the next Monday), gets an owner reply and is booked at $400;
    /// B calls twice (one episode); a withheld caller; C calls on Sunday 11:30 PM local (Monday in UTC). Week of Nov 30: D
    /// is texted, replies, is called back and booked without a value. Returns the owner, now Monday Nov 30, 12:30 AM local.
    /// </summary>
    private static async Task<(OwnerClient Owner, Business Business)> TwoWeeksAsync(TestApp app)
    {
        var (owner, business) = await OwnerClient.SignUpWithBusinessAsync(app);
        await app.MissedCallAsync(A); // Fri Nov 27, 9:00 AM local
        await app.MissedCallAsync(B);
        app.Time.Advance(TimeSpan.FromMinutes(10));
        await app.MissedCallAsync(B);
        await app.MissedCallAsync("anonymous");
        await app.DispatchAsync();
        var a = await ContactAsync(app, A);
        await ReplyAsync(owner, a, "We can come Monday");
        await WonAsync(owner, a, "400");

        app.Time.Advance(new DateTime(2026, 11, 30, 5, 30, 0, DateTimeKind.Utc) - app.Time.GetUtcNow().UtcDateTime); // Sun 11:30 PM local
        await app.MissedCallAsync(C);
        app.Time.Advance(TimeSpan.FromHours(1)); // Mon Nov 30, 12:30 AM local
        await app.MissedCallAsync(D);
        await app.DispatchAsync();
        await app.InboundSmsAsync(A, Number, "Monday works"); // counts for A's episode, in the week A called
        await app.InboundSmsAsync(D, Number, "Can you come today?");
        var d = await ContactAsync(app, D);
        var page = $"/app/contacts/{d.Id}";
        await owner.PostAsync($"{page}?handler=CalledBack", new() { ["episode"] = d.EpisodeFirstCallId!.Value.ToString(), ["on"] = "true" }, tokenFrom: page);
        await WonAsync(owner, d, "");
        return (owner, business);
    }

    private static Task<Recoverly.Calls.Contact> ContactAsync(TestApp app, string phone) => app.QueryAsync(db => db.Contacts.SingleAsync(c => c.Phone == phone));

    private static async Task ReplyAsync(OwnerClient owner, Recoverly.Calls.Contact contact, string body)
    {
        var page = $"/app/contacts/{contact.Id}";
        Assert.Equal(HttpStatusCode.Redirect,
            (await owner.PostAsync($"{page}?handler=Reply", new() { ["body"] = body, ["replyKey"] = Guid.NewGuid().ToString("N") }, tokenFrom: page)).StatusCode);
    }

    private static async Task WonAsync(OwnerClient owner, Recoverly.Calls.Contact contact, string value)
    {
        var page = $"/app/contacts/{contact.Id}";
        Assert.Equal(HttpStatusCode.Redirect, (await owner.PostAsync($"{page}?handler=Won",
            new() { ["episode"] = contact.EpisodeFirstCallId!.Value.ToString(), ["on"] = "true", ["value"] = value }, tokenFrom: page)).StatusCode);
    }

    private static Task<Report> ReportAsync(TestApp app, ReportPeriod kind) => app.WithScopeAsync(async sp =>
    {
        var db = sp.GetRequiredService<RecoverlyDb>();
        var business = await db.Businesses.AsNoTracking().SingleAsync();
        return await RecoveryReport.BuildAsync(db, business, kind, app.Time.GetUtcNow().UtcDateTime, CancellationToken.None);
    });

    [Theory]
    [BothDatabases]
    public async Task Each_week_counts_its_missed_callers_and_what_became_of_them_in_business_local_time(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await TwoWeeksAsync(app);

        var weeks = await ReportAsync(app, ReportPeriod.Week);

        Assert.Equal(RecoveryReport.Weeks, weeks.Periods.Count);
        Assert.Equal(new PeriodFigures(new(2026, 11, 30), new(2026, 12, 7), Calls: 1, Missed: 1, Texted: 1, Replied: 1, Answered: 1, Booked: 1,
            RevenueCents: 0, BookedWithoutValue: 1), weeks.Periods[0]);
        Assert.Equal(new PeriodFigures(new(2026, 11, 23), new(2026, 11, 30), Calls: 5, Missed: 4, Texted: 3, Replied: 1, Answered: 1, Booked: 1,
            RevenueCents: 40_000, BookedWithoutValue: 0), weeks.Periods[1]);
        Assert.All(weeks.Periods.Skip(2), p => Assert.Equal(0, p.Calls));
        Assert.Equal(new DateOnly(2026, 9, 14), weeks.Periods[^1].Start);

        // The estimates: the calculator's example assumptions (60% would book, 50% close, $350 a job).
        var a = weeks.Assumptions;
        Assert.Equal(35_000, weeks.Periods[0].EstimatedRecoveredCents(a));
        Assert.Equal(10_500, weeks.Periods[0].AtRiskCents(a));
        Assert.Equal(42_000, weeks.Periods[1].AtRiskCents(a));

        var months = await ReportAsync(app, ReportPeriod.Month);
        Assert.Equal(new PeriodFigures(new(2026, 11, 1), new(2026, 12, 1), 6, 5, 4, 2, 2, 2, 40_000, 1), months.Periods[0]);
        Assert.Equal(new DateOnly(2025, 12, 1), months.Periods[^1].Start);
    }

    /// <summary>The report as the page builds it (kept days) equals a count from the calls themselves, both ways.</summary>
    private static async Task AssertKeptDaysMatchARecountAsync(TestApp app)
    {
        foreach (var kind in new[] { ReportPeriod.Week, ReportPeriod.Month })
        {
            var report = await ReportAsync(app, kind);
            var recount = await app.WithScopeAsync(async sp =>
            {
                var db = sp.GetRequiredService<RecoverlyDb>();
                var business = await db.Businesses.AsNoTracking().SingleAsync();
                return await RecoveryReport.FiguresAsync(db, business, [.. report.Periods.Select(p => (p.Start, p.End))], CancellationToken.None);
            });
            Assert.Equal(recount, report.Periods);
        }
    }

    [Theory]
    [BothDatabases]
    public async Task Kept_days_match_a_recount_after_late_marks_on_old_conversations_and_a_time_zone_change(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, _) = await TwoWeeksAsync(app);
        app.Time.Advance(TimeSpan.FromDays(3)); // Thu Dec 3: the week of Nov 23 and Nov 30-Dec 2 are finished days
        await AssertKeptDaysMatchARecountAsync(app);
        // Every finished day of the 12 months is kept.
        var kept = await app.QueryAsync(d => d.ReportDays.CountAsync(r => r.CountedGeneration == r.Generation && r.Zone == "America/Chicago"));
        Assert.Equal(new DateOnly(2026, 12, 3).DayNumber - new DateOnly(2026, 1, 1).DayNumber, kept); // Jan 1 (the 12 months' first) to Dec 2
        var before = (await ReportAsync(app, ReportPeriod.Week)).Periods[1];
        Assert.Equal((1, 40_000L), (before.Booked, before.RevenueCents));

        // Late facts on the old week's conversations: B is booked at $250, replies, is called back; A's booking is undone; C gets an answer.
        var b = await ContactAsync(app, B);
        await WonAsync(owner, b, "250");
        await app.InboundSmsAsync(B, Number, "Thanks, see you then");
        var page = $"/app/contacts/{b.Id}";
        await owner.PostAsync($"{page}?handler=CalledBack", new() { ["episode"] = b.EpisodeFirstCallId!.Value.ToString(), ["on"] = "true" }, tokenFrom: page);
        var a = await ContactAsync(app, A);
        page = $"/app/contacts/{a.Id}";
        Assert.Equal(HttpStatusCode.Redirect, (await owner.PostAsync($"{page}?handler=Won",
            new() { ["episode"] = a.EpisodeFirstCallId!.Value.ToString(), ["on"] = "false", ["value"] = "" }, tokenFrom: page)).StatusCode);
        await ReplyAsync(owner, await ContactAsync(app, C), "Sorry we missed you");

        await AssertKeptDaysMatchARecountAsync(app);
        var after = (await ReportAsync(app, ReportPeriod.Week)).Periods[1];
        Assert.Equal(new PeriodFigures(new(2026, 11, 23), new(2026, 11, 30), Calls: 5, Missed: 4, Texted: 3, Replied: 2, Answered: 3, Booked: 1,
            RevenueCents: 25_000, BookedWithoutValue: 0), after);

        // Another zone moves day boundaries: C's Sunday 11:30 PM in Chicago is Monday afternoon in Tokyo.
        await app.QueryAsync(d => d.Businesses.ExecuteUpdateAsync(s => s.SetProperty(x => x.TimeZone, "Asia/Tokyo")));
        await AssertKeptDaysMatchARecountAsync(app);
        Assert.Equal(2, (await ReportAsync(app, ReportPeriod.Week)).Periods[0].Missed); // C and D; in Chicago only D
    }

    [Theory]
    [BothDatabases]
    public async Task The_page_and_its_csv_show_the_same_figures_with_estimates_labelled(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, _) = await TwoWeeksAsync(app);

        var page = await owner.TextAsync("/app/report");
        Assert.Contains("This week so far", page);
        Assert.Contains("""<svg class="chart" viewBox="0 0 340 220" role="img" aria-labelledby="funnel-title">""", page);
        Assert.Contains("Missed calls: 1, Texted back: 1, Caller replied: 1, You answered: 1, Booked / won: 1", page);
        Assert.Contains("Estimate, with those at your average job value", page);
        Assert.Contains("<strong>Estimate:</strong> this missed caller was worth about", page);
        Assert.Contains("<strong>$105</strong> to you (1 × 60% would book × 50% close rate ×", page);
        // Charts are drawn on the server: the page loads no script beyond the app shell every owner page has.
        Assert.Equal(["/js/app-shell.js"], Regex.Matches(page, "<script[^>]*src=\"([^\"]+)\"").Select(m => m.Groups[1].Value.Split('?')[0]));
        Assert.DoesNotContain("<script>", page);

        var lastWeek = await owner.TextAsync("/app/report?by=week&period=2026-11-23");
        Assert.Contains("Nov 23 – 29", lastWeek);
        Assert.Contains("Missed calls: 4, Texted back: 3, Caller replied: 1, You answered: 1, Booked / won: 1", lastWeek);
        Assert.Contains("$400", lastWeek);

        var csv = await owner.Http.GetAsync("/app/report?handler=Csv&by=week");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).TrimEnd('\n').Split('\n');
        Assert.Equal(1 + RecoveryReport.Weeks, lines.Length);
        Assert.StartsWith("period_start,period_end,missed_calls_all,missed_callers,texted_back,caller_replied,you_answered,booked_won,revenue_recorded_usd", lines[0]);
        Assert.Equal("2026-11-23,2026-11-29,5,4,3,1,1,1,400.00,0,400.00,420.00,60,50,350", lines[^2]);
        Assert.Equal("2026-11-30,2026-12-06,1,1,1,1,1,1,0.00,1,350.00,105.00,60,50,350", lines[^1]);

        var months = await owner.Http.GetStringAsync("/app/report?handler=Csv&by=month");
        Assert.EndsWith("2026-11-01,2026-11-30,6,5,4,2,2,2,400.00,1,750.00,525.00,60,50,350\n", months);
    }

    [Fact]
    public async Task Assumptions_are_checked_like_the_calculator_and_change_only_the_estimates()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await TwoWeeksAsync(app);

        var refused = await owner.PostAsync("/app/report?handler=Assumptions&by=week", new() { ["book"] = "120", ["value"] = "abc", ["close"] = "40" },
            tokenFrom: "/app/report");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        var html = WebUtility.HtmlDecode(await refused.Content.ReadAsStringAsync());
        Assert.Contains(Recoverly.Public.MissedCallCost.Messages["book"], html);
        Assert.Contains(Recoverly.Public.MissedCallCost.Messages["value"], html);
        Assert.DoesNotContain(Recoverly.Public.MissedCallCost.Messages["close"], html);
        Assert.Contains("value=\"abc\"", html);
        Assert.Equal(60, (await app.QueryAsync(d => d.Businesses.SingleAsync())).EstimateBookPercent);

        var saved = await owner.PostAsync("/app/report?handler=Assumptions&by=week", new() { ["book"] = "80", ["value"] = "$1,000", ["close"] = "25" },
            tokenFrom: "/app/report");
        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        var weeks = await ReportAsync(app, ReportPeriod.Week);
        Assert.Equal(new ReportAssumptions(80, 1000, 25), weeks.Assumptions);
        Assert.Equal(100_000, weeks.Periods[0].EstimatedRecoveredCents(weeks.Assumptions));
        Assert.Equal(0, weeks.Periods[0].RevenueCents);
        Assert.Equal(80_000, weeks.Periods[1].AtRiskCents(weeks.Assumptions)); // 4 × 80% × 25% × $1,000
    }

    [Theory]
    [InlineData("/app/report?by=year")]
    [InlineData("/app/report?period=2026-11-24")]
    [InlineData("/app/report?period=last-week")]
    [InlineData("/app/report?by=month&period=2020-01-01")]
    public async Task A_period_that_is_not_on_the_report_is_not_found(string path)
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.GetAsync(path)).StatusCode);
    }

    [Fact]
    public async Task The_report_shows_only_this_business()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        await app.AddBusinessAsync("Other Co", "+15125550200", "+15125550201");
        await app.MissedCallAsync(A, to: "+15125550200");
        await app.MissedCallAsync(B, to: "+15125550200");

        var csv = await owner.Http.GetStringAsync("/app/report?handler=Csv&by=week");
        Assert.EndsWith("2026-11-23,2026-11-29,0,0,0,0,0,0,0.00,0,0.00,0.00,60,50,350\n", csv);
        Assert.Contains("Missed calls: 0", await owner.TextAsync("/app/report"));
    }
}
