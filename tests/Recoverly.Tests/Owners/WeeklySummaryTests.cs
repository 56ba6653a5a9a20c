using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;
using Recoverly.Data;
using Recoverly.Dispatch;
using Recoverly.Owners;
using Recoverly.Telephony;
using Recoverly.Texts;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Owners;

/// <summary>The weekly summary e-mail: opt-in, once per business and week on business-local Monday morning, one click to stop.</summary>
public partial class WeeklySummaryTests : IDisposable
{
    private const string Caller = "+15125550142";
    private const string Settings = "/app/settings";
    private readonly DirectoryInfo _mail = Directory.CreateTempSubdirectory("recoverly-mail-");

    public void Dispose() => _mail.Delete(recursive: true);

    private Task<TestApp> StartAsync(Db db) =>
        TestApp.StartAsync(db, new Dictionary<string, string?> { ["Email:PickupFolder"] = _mail.FullName });

    /// <summary>Monday Nov 30, 2026 at the given Chicago wall-clock time, in UTC (Chicago is UTC-6 then).</summary>
    private static DateTime Monday(int hour, int minute) => new DateTime(2026, 11, 30, hour + 6, minute, 0, DateTimeKind.Utc);

    private static void AdvanceTo(TestApp app, DateTime utc) => app.Time.Advance(utc - app.Time.GetUtcNow().UtcDateTime);

    private static Task<int> QueueDueAsync(TestApp app) => app.WithScopeAsync(sp => WeeklySummary.QueueDueAsync(
        sp.GetRequiredService<RecoverlyDb>(), sp.GetRequiredService<PublicUrls>(), app.Time.GetUtcNow().UtcDateTime, CancellationToken.None));

    private static Task<HttpResponseMessage> TurnOnAsync(OwnerClient owner, bool on = true) => owner.PostAsync($"{Settings}?handler=WeeklySummary",
        on ? new() { ["on"] = "true", ["ownerEmail"] = "Owner@Acme.example" } : new() { ["ownerEmail"] = "owner@acme.example" }, tokenFrom: Settings);

    /// <summary>Last week: one missed caller, texted, who replied and was booked at $400 (the summary reads the report).</summary>
    private static async Task<OwnerClient> OwnerWithAWeekAsync(TestApp app)
    {
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        await app.MissedCallAsync(Caller);
        await app.InboundSmsAsync(Caller, "+15125550100", "Can you come Monday?");
        await app.DispatchAsync();
        var contact = await app.QueryAsync(d => d.Contacts.SingleAsync());
        var page = $"/app/contacts/{contact.Id}";
        await owner.PostAsync($"{page}?handler=Won", new() { ["episode"] = contact.EpisodeFirstCallId!.Value.ToString(), ["on"] = "true", ["value"] = "400" },
            tokenFrom: page);
        return owner;
    }

    [Theory]
    [BothDatabases]
    public async Task Last_weeks_figures_are_mailed_once_on_monday_morning_with_a_one_click_stop(Db db)
    {
        await using var app = await StartAsync(db);
        var owner = await OwnerWithAWeekAsync(app);
        Assert.Equal(0, await QueueDueAsync(app)); // opt-in: nothing until the owner turns it on
        Assert.Equal(HttpStatusCode.Redirect, (await TurnOnAsync(owner)).StatusCode);
        Assert.Contains("it goes to owner@acme.example every Monday morning", await owner.TextAsync($"{Settings}?saved=summary"));

        AdvanceTo(app, Monday(7, 59));
        Assert.Equal(0, await QueueDueAsync(app));
        AdvanceTo(app, Monday(8, 0));
        Assert.Equal(1, await QueueDueAsync(app));
        Assert.Equal(0, await QueueDueAsync(app));
        var row = await app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Kind == OutboundKind.OwnerSummaryEmail));
        Assert.EndsWith(":2026-11-23", row.DedupeKey);
        await app.DispatchAsync();

        var mail = await MimeMessage.LoadAsync(Assert.Single(_mail.GetFiles("*.eml")).FullName);
        Assert.Equal("owner@acme.example", mail.To.Mailboxes.Single().Address);
        Assert.Equal("Recoverly: your week at Acme Plumbing (Nov 23 – 29) — 1 missed call, 1 booked, $400 recovered", mail.Subject);
        var body = mail.TextBody ?? "";
        foreach (var line in new[] { "Missed calls: 1", "Texted back: 1", "Caller replied: 1", "You answered: 0", "Booked / won: 1",
                     "Revenue recovered: $400 (the job values you gave)", "Estimate: these missed callers were worth about $105 to you",
                     "Your report: http://localhost/app/report" })
            Assert.Contains(line, body);
        Assert.DoesNotContain("555-0142", body); // no caller's number in a mail about figures

        // The stop link: a GET (what mail scanners do) only asks; the button stops it. No login needed.
        var stop = new Uri(StopLink().Match(body).Value).PathAndQuery;
        using var anonymous = app.NewBrowserClient();
        var asked = await anonymous.GetAsync(stop);
        Assert.Equal(HttpStatusCode.OK, asked.StatusCode);
        var askPage = await asked.Content.ReadAsStringAsync();
        Assert.Contains("Stop the weekly summary?", askPage);
        Assert.True((await app.QueryAsync(d => d.Businesses.SingleAsync())).WeeklySummary);
        var stopped = await anonymous.PostAsync(stop, new FormUrlEncodedContent(
            [KeyValuePair.Create("__RequestVerificationToken", OwnerClient.Token(askPage))]));
        Assert.Equal(HttpStatusCode.OK, stopped.StatusCode);
        Assert.Contains("Weekly summary stopped", await stopped.Content.ReadAsStringAsync());
        Assert.False((await app.QueryAsync(d => d.Businesses.SingleAsync())).WeeklySummary);

        AdvanceTo(app, Monday(8, 30).AddDays(7));
        Assert.Equal(0, await QueueDueAsync(app));
    }

    [Fact]
    public async Task A_stop_link_with_a_wrong_token_changes_nothing()
    {
        await using var app = await StartAsync(Db.Sqlite);
        var (owner, business) = await OwnerClient.SignUpWithBusinessAsync(app);
        await TurnOnAsync(owner);
        var token = (await app.QueryAsync(d => d.Businesses.SingleAsync())).SummaryStopToken!;
        using var anonymous = app.NewBrowserClient();
        var good = await anonymous.GetStringAsync($"{WeeklySummary.StopPath}?b={business.Id}&t={token}");

        foreach (var path in new[] { $"{WeeklySummary.StopPath}?b={business.Id}&t={token[..^1]}x", $"{WeeklySummary.StopPath}?b={business.Id}",
                     $"{WeeklySummary.StopPath}?b={business.Id + 1}&t={token}", $"{WeeklySummary.StopPath}?t={token}" })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(path)).StatusCode);
            var post = await anonymous.PostAsync(path, new FormUrlEncodedContent([KeyValuePair.Create("__RequestVerificationToken", OwnerClient.Token(good))]));
            Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
        }
        // Without the form's antiforgery token a POST is refused too.
        var forged = await anonymous.PostAsync($"{WeeklySummary.StopPath}?b={business.Id}&t={token}", new FormUrlEncodedContent([]));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.True((await app.QueryAsync(d => d.Businesses.SingleAsync())).WeeklySummary);
    }

    [Theory]
    [BothDatabases]
    public async Task Dispatchers_queueing_at_the_same_moment_queue_one_summary(Db db)
    {
        await using var app = await StartAsync(db);
        var owner = await OwnerWithAWeekAsync(app);
        await TurnOnAsync(owner);
        AdvanceTo(app, Monday(8, 5));

        var queued = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => QueueDueAsync(app))));

        Assert.Equal(1, queued.Sum());
        Assert.Equal(1, await app.QueryAsync(d => d.OutboundMessages.CountAsync(m => m.Kind == OutboundKind.OwnerSummaryEmail)));
    }

    [Fact]
    public async Task Turned_off_before_it_goes_the_summary_is_cancelled_not_mailed()
    {
        await using var app = await StartAsync(Db.Sqlite);
        var owner = await OwnerWithAWeekAsync(app);
        await TurnOnAsync(owner);
        AdvanceTo(app, Monday(9, 0));
        Assert.Equal(1, await QueueDueAsync(app));
        await TurnOnAsync(owner, on: false);
        await app.DispatchAsync();

        var row = await app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Kind == OutboundKind.OwnerSummaryEmail));
        Assert.Equal(OutboundStatus.Cancelled, row.Status);
        Assert.Equal(OutboxReason.WeeklySummaryOff, row.Reason);
        Assert.Empty(_mail.GetFiles("*.eml"));
    }

    [Theory]
    [InlineData("America/Chicago", "2026-11-30T13:59:00Z", null)]
    [InlineData("America/Chicago", "2026-11-30T14:00:00Z", "2026-11-30")]
    [InlineData("America/Chicago", "2026-12-01T13:59:00Z", "2026-11-30")]
    [InlineData("America/Chicago", "2026-12-01T14:00:00Z", null)]
    [InlineData("Asia/Tokyo", "2026-11-29T22:59:00Z", null)]
    [InlineData("Asia/Tokyo", "2026-11-29T23:00:00Z", "2026-11-30")]
    [InlineData("America/New_York", "2026-03-09T12:00:00Z", "2026-03-09")] // the Monday after clocks went forward: 8:00 AM EDT
    [InlineData("America/New_York", "2026-03-09T12:59:00Z", "2026-03-09")]
    [InlineData("America/New_York", "2026-03-09T11:59:00Z", null)]
    public void The_summary_is_due_on_business_local_monday_morning_for_a_day(string zone, string utc, string? monday)
    {
        var due = WeeklySummary.DueWeek(DateTime.Parse(utc, null, System.Globalization.DateTimeStyles.AdjustToUniversal),
            TimeZoneInfo.FindSystemTimeZoneById(zone));
        Assert.Equal(monday is null ? null : DateOnly.Parse(monday), due);
    }

    [Fact]
    public async Task The_service_queues_the_summary_when_fake_time_reaches_monday_morning()
    {
        await using var app = await StartAsync(Db.Sqlite);
        var owner = await OwnerWithAWeekAsync(app);
        await TurnOnAsync(owner);
        AdvanceTo(app, Monday(7, 0));
        var service = new WeeklySummaryService(app.Services.GetRequiredService<IServiceScopeFactory>(), app.Time,
            app.Services.GetRequiredService<DispatchSignal>(), NullLogger<WeeklySummaryService>.Instance);
        await service.StartAsync(CancellationToken.None);
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            var queued = 0;
            // Fake time moves a minute per look until the service has queued it; real time only bounds the wait.
            while (queued == 0 && DateTime.UtcNow < deadline && app.Time.GetUtcNow().UtcDateTime < Monday(8, 0).AddHours(12))
            {
                app.Time.Advance(TimeSpan.FromMinutes(1));
                await Task.Delay(20);
                queued = await app.QueryAsync(d => d.OutboundMessages.CountAsync(m => m.Kind == OutboundKind.OwnerSummaryEmail));
            }
            Assert.Equal(1, queued);
            var row = await app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Kind == OutboundKind.OwnerSummaryEmail));
            Assert.True(row.CreatedAt >= Monday(8, 0), $"queued at {row.CreatedAt:O}, before 8:00 AM local");
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
        }
    }

    [GeneratedRegex(@"http://localhost/summary/stop\?b=\d+&t=[0-9a-f]+")]
    private static partial Regex StopLink();
}
