using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Recoverly.Calls;
using Recoverly.Consent;
using Recoverly.Texts;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.App;

public partial class InboxTests
{
    private const string Caller = "+15125550142";
    private const string Number = "+15125550100";

    [Fact]
    public async Task Inbox_shows_one_row_per_episode_with_formatted_caller_local_time_repeat_count_and_outcome()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);

        await app.MissedCallAsync(Caller);
        app.Time.Advance(TimeSpan.FromMinutes(3));
        await app.MissedCallAsync(Caller);
        app.Time.Advance(TimeSpan.FromMinutes(3));
        await app.MissedCallAsync(Caller);
        await app.MissedCallAsync("anonymous");
        await app.DispatchAsync();

        var html = await owner.TextAsync("/app");

        Assert.Single(Regex.Matches(html, Regex.Escape("(512) 555-0142")));
        Assert.Contains("called 3 times", html);
        Assert.Contains("Texted back", html);
        // 15:06 UTC is 9:06 AM in Chicago.
        Assert.Contains("Today 9:06 AM", html);
        Assert.Contains("Not texted — caller ID withheld", html);
        Assert.True(html.IndexOf("Caller ID withheld", StringComparison.Ordinal) < html.IndexOf("(512) 555-0142", StringComparison.Ordinal),
            "newest first");
    }

    [Fact]
    public async Task Outcome_chips_say_what_happened_in_plain_words()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, business) = await OwnerClient.SignUpWithBusinessAsync(app);
        const string filtered = "+15125550143", landline = "+15125550144", optedOut = "+15125550145";

        foreach (var caller in new[] { filtered, landline, optedOut }) await app.MissedCallAsync(caller);
        await app.DispatchAsync();
        await app.MessageStatusAsync(app.Twilio.SentTo(filtered).Single().Sid, "undelivered", 30007);
        await app.QueryAsync(async d => // as the send's 21614 teaches it
        {
            d.LearnedLineTypes.Add(new Recoverly.Calls.LearnedLineType { BusinessId = business.Id, Phone = landline, LineType = "landline", ErrorCode = 21614, LearnedAt = app.Time.GetUtcNow().UtcDateTime });
            return await d.SaveChangesAsync();
        });
        await app.InboundSmsAsync(optedOut, Number, "STOP");
        app.Time.Advance(TimeSpan.FromDays(1));
        await app.MissedCallAsync(landline); // a learned landline: not texted again

        var html = await owner.TextAsync("/app");

        Assert.Contains("Not delivered — carrier filtered", html);
        Assert.Contains("Not texted — landline", html);
        Assert.Contains("""<span class="chip bad">Opted out</span>""", html);
    }

    [Fact]
    public async Task Caller_replies_and_voicemail_text_show_under_their_call()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        var sid = TestApp.NewSid("CA");
        await app.MissedCallAsync(Caller, callSid: sid);
        await app.PostSignedAsync("/twilio/voice/recording", new()
        {
            ["AccountSid"] = TestApp.AccountSid, ["CallSid"] = sid, ["RecordingUrl"] = "https://api.twilio.com/rec/RE1",
            ["TranscriptionText"] = "Water heater is leaking",
        });
        await app.InboundSmsAsync(Caller, Number, "Can you come tomorrow at 9?");

        var html = await owner.PageAsync("/app");

        Assert.Contains("Voicemail: “Water heater is leaking”", html);
        Assert.Contains("Can you come tomorrow at 9?", html);
    }

    [Theory]
    [BothDatabases]
    public async Task Caller_supplied_markup_renders_as_text(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        await app.MissedCallAsync(Caller);
        await app.InboundSmsAsync(Caller, Number, "<script>alert(1)</script> <img src=x onerror=alert(1)>");
        var contact = await app.QueryAsync(d => d.Contacts.SingleAsync());

        foreach (var page in new[] { "/app", "/app?handler=Rows", $"/app/contacts/{contact.Id}" })
        {
            var html = await owner.PageAsync(page);
            Assert.DoesNotContain("<script>alert(1)", html);
            Assert.DoesNotContain("<img src=x", html);
            Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
            Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", html);
        }
    }

    [Fact]
    public async Task New_calls_and_replies_appear_in_the_polled_rows_without_a_reload()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);

        var page = await owner.PageAsync("/app");
        Assert.Contains("""data-poll="/app?handler=Rows""", page);
        var before = await owner.PageAsync("/app?handler=Rows");
        Assert.Contains("No missed calls yet", before);
        Assert.DoesNotContain("<html", before); // a fragment, not a page

        await app.MissedCallAsync(Caller);
        var afterCall = await owner.PageAsync("/app?handler=Rows");
        Assert.Contains("(512) 555-0142", afterCall);

        await app.InboundSmsAsync(Caller, Number, "Are you open Saturday?");
        Assert.Contains("Are you open Saturday?", await owner.PageAsync("/app?handler=Rows"));
    }

    [Theory]
    [BothDatabases]
    public async Task Pages_walk_every_episode_newest_first_exactly_once(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, business) = await OwnerClient.SignUpWithBusinessAsync(app);
        var other = await app.AddBusinessAsync("Other Co", "+15125550200", "+15125550201");
        var start = app.Time.GetUtcNow().UtcDateTime.AddDays(-2);
        var repeatCaller = "+15125559999";
        var expected = new List<long>();
        await app.QueryAsync(async d =>
        {
            var repeat = new Contact { BusinessId = business.Id, Phone = repeatCaller, CreatedAt = start, LastActivityAt = start };
            d.Contacts.Add(repeat);
            await d.SaveChangesAsync();
            MissedCall? first = null;
            for (var i = 0; i < 300; i++)
            {
                var at = start.AddMinutes(i);
                // One caller rings five times within an hour and a half (one episode) across page boundaries.
                if (i % 20 == 0 && i <= 80)
                {
                    var again = new MissedCall { BusinessId = business.Id, ContactId = repeat.Id, CallSid = TestApp.NewSid("CA"), FromRaw = repeatCaller,
                        FromE164 = repeatCaller, To = Number, At = at, Outcome = first is null ? CallOutcome.Texted : CallOutcome.Repeat,
                        EpisodeFirstCallId = first?.Id };
                    d.MissedCalls.Add(again);
                    await d.SaveChangesAsync();
                    first ??= again;
                    continue;
                }
                var phone = $"+1512556{i:0000}";
                var contact = new Contact { BusinessId = business.Id, Phone = phone, CreatedAt = at, LastActivityAt = at };
                d.Contacts.Add(contact);
                await d.SaveChangesAsync();
                var call = new MissedCall { BusinessId = business.Id, ContactId = contact.Id, CallSid = TestApp.NewSid("CA"), FromRaw = phone,
                    FromE164 = phone, To = Number, At = at, Outcome = CallOutcome.Landline };
                d.MissedCalls.Add(call);
                d.MissedCalls.Add(new MissedCall { BusinessId = other.Id, CallSid = TestApp.NewSid("CA"), FromRaw = "anonymous", To = "+15125550200",
                    At = at, Outcome = CallOutcome.Withheld });
                await d.SaveChangesAsync();
                expected.Add(call.Id);
            }
            return 0;
        });
        var lastRepeat = await app.QueryAsync(d => d.MissedCalls.Where(c => c.FromE164 == repeatCaller).MaxAsync(c => c.Id));
        expected.Add(lastRepeat);

        var seen = new List<long>();
        var path = "/app";
        var pages = 0;
        while (true)
        {
            var html = await owner.PageAsync(path);
            pages++;
            seen.AddRange(CallIds().Matches(html).Select(m => long.Parse(m.Groups[1].Value)));
            var older = OlderLink().Match(html);
            if (!older.Success) break;
            path = WebUtility.HtmlDecode(older.Groups[1].Value);
            Assert.True(pages < 30, "pagination does not end");
        }

        Assert.Equal(seen.Distinct().Count(), seen.Count);
        Assert.Equal(expected.OrderBy(id => id), seen.OrderBy(id => id));
        var ats = await app.QueryAsync(d => d.MissedCalls.Where(c => seen.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.At));
        Assert.Equal(seen.Select(id => ats[id]).OrderByDescending(a => a), seen.Select(id => ats[id]));
        Assert.True(pages >= 10, $"{pages} pages");
        var repeatPage = await owner.PageAsync($"/app?before={lastRepeat + 1}");
        Assert.Contains("called 5 times", repeatPage);
    }

    [Fact]
    public async Task Every_page_shows_each_episode_its_own_replies_when_its_callers_call_again_later()
    {
        // Two regular callers, 60 episodes each: on every page each contact has later episodes, so the page reads
        // replies only up to the latest next-episode start; each row must still show exactly its own reply (each
        // reply comes 7 h after its call, after the other caller's next episode has started).
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, business) = await OwnerClient.SignUpWithBusinessAsync(app);
        var start = app.Time.GetUtcNow().UtcDateTime.AddDays(-30);
        await app.QueryAsync(async d =>
        {
            var contacts = new[] { "+15125557001", "+15125557002" }
                .Select(p => new Contact { BusinessId = business.Id, Phone = p, CreatedAt = start, LastActivityAt = start }).ToArray();
            d.Contacts.AddRange(contacts);
            await d.SaveChangesAsync();
            for (var i = 0; i < 120; i++)
            {
                var contact = contacts[i % 2];
                var at = start.AddHours(5 * i);
                var call = new MissedCall { BusinessId = business.Id, ContactId = contact.Id, CallSid = TestApp.NewSid("CA"), FromRaw = contact.Phone,
                    FromE164 = contact.Phone, To = Number, At = at, Outcome = CallOutcome.Landline };
                d.MissedCalls.Add(call);
                await d.SaveChangesAsync();
                d.InboundMessages.Add(new InboundMessage { BusinessId = business.Id, ContactId = contact.Id, MessageSid = TestApp.NewSid("SM"),
                    From = contact.Phone, To = Number, Body = $"about call {call.Id}", At = at.AddHours(7), Intent = InboundIntent.Conversation });
                await d.SaveChangesAsync();
            }
            return 0;
        });

        var path = "/app";
        var rows = 0;
        for (var pages = 0; pages < 10; pages++)
        {
            var html = await owner.PageAsync(path);
            foreach (Match row in RowItems().Matches(html))
            {
                rows++;
                var said = Bubbles().Matches(row.Groups[2].Value).Select(m => m.Groups[1].Value).ToList();
                Assert.Equal([$"about call {row.Groups[1].Value}"], said);
            }
            var older = OlderLink().Match(html);
            if (!older.Success) break;
            path = WebUtility.HtmlDecode(older.Groups[1].Value);
        }
        Assert.Equal(120, rows);
    }

    [GeneratedRegex("""<li data-call="(\d+)">(.*?)</li>""", RegexOptions.Singleline)]
    private static partial Regex RowItems();

    [GeneratedRegex("""<span class="bubble them">([^<]*)</span>""")]
    private static partial Regex Bubbles();

    [Fact]
    public async Task A_page_cursor_is_scoped_to_the_business()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        await app.AddBusinessAsync("Other Co", "+15125550200", "+15125550201");
        await app.MissedCallAsync(Caller, to: "+15125550200");
        var foreign = await app.QueryAsync(d => d.MissedCalls.SingleAsync());

        Assert.Equal(HttpStatusCode.NotFound, (await owner.GetAsync($"/app?before={foreign.Id}")).StatusCode);
        Assert.DoesNotContain("(512) 555-0142", await owner.PageAsync("/app"));
    }

    [GeneratedRegex("""data-call="(\d+)""")]
    private static partial Regex CallIds();

    [GeneratedRegex("""<a href="(/app\?before=\d+&amp;at=\d+)">Older""")]
    private static partial Regex OlderLink();
}
