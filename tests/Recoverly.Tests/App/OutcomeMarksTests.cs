using System.Net;
using Microsoft.EntityFrameworkCore;
using Recoverly.Calls;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.App;

/// <summary>"I called them back" and "Booked / won" on a conversation: the owner's notes for the report, never a text.</summary>
public class OutcomeMarksTests
{
    private const string Caller = "+15125550142";
    private const string Number = "+15125550100";

    private static Task<MissedCall> EpisodeAsync(TestApp app, long id) => app.QueryAsync(d => d.MissedCalls.SingleAsync(c => c.Id == id));

    [Theory]
    [BothDatabases]
    public async Task Called_back_and_booked_are_noted_on_the_latest_episode_with_undo_and_never_text_the_caller(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        await app.MissedCallAsync(Caller);
        app.Time.Advance(TimeSpan.FromDays(2));
        await app.MissedCallAsync(Caller); // a second episode: the taps belong to it
        await app.DispatchAsync();
        var contact = await app.QueryAsync(d => d.Contacts.SingleAsync());
        var latest = contact.EpisodeFirstCallId!.Value;
        var page = $"/app/contacts/{contact.Id}";
        var textsBefore = app.Twilio.Sent.Count;
        var outboxBefore = await app.QueryAsync(d => d.OutboundMessages.CountAsync());

        Assert.Contains("How did it go?", await owner.TextAsync(page));
        var called = await owner.PostAsync($"{page}?handler=CalledBack", new() { ["episode"] = latest.ToString(), ["on"] = "true" }, tokenFrom: page);
        Assert.Equal(HttpStatusCode.Redirect, called.StatusCode);
        var won = await owner.PostAsync($"{page}?handler=Won", new() { ["episode"] = latest.ToString(), ["on"] = "true", ["value"] = "$1,250.50" },
            tokenFrom: page);
        Assert.Equal(HttpStatusCode.Redirect, won.StatusCode);

        var episode = await EpisodeAsync(app, latest);
        Assert.Equal(app.Time.GetUtcNow().UtcDateTime, episode.CalledBackAt);
        Assert.NotNull(episode.WonAt);
        Assert.Equal(125_050, episode.JobValueCents);
        var earlier = await app.QueryAsync(d => d.MissedCalls.OrderBy(c => c.Id).FirstAsync());
        Assert.Null(earlier.WonAt);
        var thread = await owner.TextAsync(page);
        Assert.Contains("Booked · $1,250.50", thread);
        Assert.Contains("You called back", thread);
        var inbox = await owner.TextAsync("/app");
        Assert.Contains("Booked · $1,250.50", inbox);
        Assert.Contains("You called back", inbox);

        // Undo each.
        await owner.PostAsync($"{page}?handler=Won", new() { ["episode"] = latest.ToString(), ["on"] = "false" }, tokenFrom: page);
        await owner.PostAsync($"{page}?handler=CalledBack", new() { ["episode"] = latest.ToString(), ["on"] = "false" }, tokenFrom: page);
        episode = await EpisodeAsync(app, latest);
        Assert.Null(episode.WonAt);
        Assert.Null(episode.JobValueCents);
        Assert.Null(episode.CalledBackAt);
        Assert.DoesNotContain("Booked ·", await owner.TextAsync("/app"));

        // Booked without a value is fine too.
        await owner.PostAsync($"{page}?handler=Won", new() { ["episode"] = latest.ToString(), ["on"] = "true", ["value"] = "" }, tokenFrom: page);
        episode = await EpisodeAsync(app, latest);
        Assert.NotNull(episode.WonAt);
        Assert.Null(episode.JobValueCents);

        await app.DispatchAsync();
        Assert.Equal(textsBefore, app.Twilio.Sent.Count);
        Assert.Equal(outboxBefore, await app.QueryAsync(d => d.OutboundMessages.CountAsync()));
    }

    [Theory]
    [InlineData("-50")]
    [InlineData("lots")]
    [InlineData("2,000,000")]
    public async Task A_bad_job_value_is_refused_with_a_clear_message_and_nothing_is_noted(string value)
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        await app.MissedCallAsync(Caller);
        var contact = await app.QueryAsync(d => d.Contacts.SingleAsync());
        var page = $"/app/contacts/{contact.Id}";

        var response = await owner.PostAsync($"{page}?handler=Won",
            new() { ["episode"] = contact.EpisodeFirstCallId!.Value.ToString(), ["on"] = "true", ["value"] = value }, tokenFrom: page);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains(Recoverly.Owners.JobValue.Problem, html);
        Assert.Contains($"value=\"{value}\"", html);
        Assert.Null((await EpisodeAsync(app, contact.EpisodeFirstCallId!.Value)).WonAt);
    }

    [Fact]
    public async Task Only_an_episode_of_this_contact_in_this_business_can_be_noted()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, business) = await OwnerClient.SignUpWithBusinessAsync(app);
        await app.AddBusinessAsync("Other Co", "+15125550200", "+15125550201");
        await app.MissedCallAsync(Caller);
        await app.MissedCallAsync("+15125550143");
        await app.MissedCallAsync(Caller, to: "+15125550200");
        app.Time.Advance(TimeSpan.FromMinutes(2));
        await app.MissedCallAsync(Caller); // a repeat call: not an episode's first call
        var ours = await app.QueryAsync(d => d.Contacts.SingleAsync(c => c.Phone == Caller && c.BusinessId == business.Id));
        var otherCaller = await app.QueryAsync(d => d.Contacts.SingleAsync(c => c.Phone == "+15125550143"));
        var theirs = await app.QueryAsync(d => d.Contacts.SingleAsync(c => c.BusinessId != business.Id));
        var repeat = await app.QueryAsync(d => d.MissedCalls.Where(c => c.ContactId == ours.Id).MaxAsync(c => c.Id));
        var page = $"/app/contacts/{ours.Id}";

        foreach (var episode in new[] { otherCaller.EpisodeFirstCallId!.Value, theirs.EpisodeFirstCallId!.Value, repeat, 999_999 })
        {
            var response = await owner.PostAsync($"{page}?handler=Won", new() { ["episode"] = episode.ToString(), ["on"] = "true" }, tokenFrom: page);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
        var foreignPage = await owner.PostAsync($"/app/contacts/{theirs.Id}?handler=CalledBack",
            new() { ["episode"] = theirs.EpisodeFirstCallId!.Value.ToString(), ["on"] = "true" }, tokenFrom: page);
        Assert.Equal(HttpStatusCode.NotFound, foreignPage.StatusCode);
        Assert.Empty(await app.QueryAsync(d => d.MissedCalls.Where(c => c.WonAt != null || c.CalledBackAt != null).ToListAsync()));
    }
}
