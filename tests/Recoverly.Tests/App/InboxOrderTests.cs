using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.App;

/// <summary>A reply either way moves its conversation to the top of the inbox, as a new call does.</summary>
public partial class InboxOrderTests
{
    private const string Number = "+15125550100";
    private const string OwnerPhone = "+15125550199";
    private const string First = "+15125550141", Second = "+15125550142", Third = "+15125550143";

    /// <summary>The callers of the inbox's rows, top to bottom, as the owner reads them.</summary>
    private static async Task<List<string>> OrderAsync(OwnerClient owner, string path = "/app?handler=Rows") =>
        Who().Matches(WebUtility.HtmlDecode(await owner.PageAsync(path))).Select(m => m.Groups[1].Value).ToList();

    private static async Task ThreeCallsAsync(TestApp app)
    {
        foreach (var caller in new[] { First, Second, Third })
        {
            await app.MissedCallAsync(caller);
            app.Time.Advance(TimeSpan.FromMinutes(5));
        }
        await app.DispatchAsync();
    }

    [Theory]
    [BothDatabases]
    public async Task A_caller_reply_puts_their_conversation_on_top(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        await ThreeCallsAsync(app);
        Assert.Equal(["(512) 555-0143", "(512) 555-0142", "(512) 555-0141"], await OrderAsync(owner));

        await app.InboundSmsAsync(First, Number, "Still need someone for the leak");

        Assert.Equal(["(512) 555-0141", "(512) 555-0143", "(512) 555-0142"], await OrderAsync(owner));
        Assert.Equal(await OrderAsync(owner), await OrderAsync(owner, "/app"));
        // A keyword is not conversation: STOP changes the row's chip, not its place.
        app.Time.Advance(TimeSpan.FromMinutes(1));
        await app.InboundSmsAsync(Second, Number, "STOP");
        Assert.Equal(["(512) 555-0141", "(512) 555-0143", "(512) 555-0142"], await OrderAsync(owner));
    }

    [Theory]
    [BothDatabases]
    public async Task An_owner_reply_from_the_dashboard_or_by_text_puts_the_conversation_on_top(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app, ownerPhone: OwnerPhone);
        await app.DispatchAsync();
        await app.InboundSmsAsync(OwnerPhone, Number, "YES");
        await ThreeCallsAsync(app);

        var first = await app.QueryAsync(d => d.Contacts.SingleAsync(c => c.Phone == First));
        var page = $"/app/contacts/{first.Id}";
        var sent = await owner.PostAsync($"{page}?handler=Reply", new() { ["body"] = "We can come at 9", ["replyKey"] = new string('b', 32) }, tokenFrom: page);
        Assert.Equal(HttpStatusCode.Redirect, sent.StatusCode);
        Assert.Equal("(512) 555-0141", (await OrderAsync(owner))[0]);
        Assert.Contains("You replied", await owner.TextAsync("/app"));

        // The owner answers an alert by text: relayed, and that conversation moves up.
        app.Time.Advance(TimeSpan.FromMinutes(1));
        await app.DispatchAsync();
        await app.MissedCallAsync(Second);
        await app.DispatchAsync();
        app.Time.Advance(TimeSpan.FromMinutes(1));
        await app.MissedCallAsync(Third);
        await app.DispatchAsync();
        Assert.Equal("(512) 555-0143", (await OrderAsync(owner))[0]);
        app.Time.Advance(TimeSpan.FromMinutes(1));
        await app.InboundSmsAsync(Second, Number, "hello?");
        await app.DispatchAsync();
        Assert.Equal("(512) 555-0142", (await OrderAsync(owner))[0]);
        app.Time.Advance(TimeSpan.FromMinutes(1));
        // Several callers were alerted lately: the owner names the one meant by its last four digits.
        await app.InboundSmsAsync(OwnerPhone, Number, "0142 Be there at 2");
        await app.DispatchAsync();
        Assert.Single(app.Twilio.SentTo(Second), t => t.Body == "Be there at 2");
        Assert.Equal("(512) 555-0142", (await OrderAsync(owner))[0]);
        app.Time.Advance(TimeSpan.FromMinutes(1));
        await app.InboundSmsAsync(Third, Number, "ok");
        Assert.Equal(["(512) 555-0143", "(512) 555-0142", "(512) 555-0141"], (await OrderAsync(owner)).Take(3));
    }

    [Fact]
    public async Task A_page_stays_in_place_when_its_anchor_moves_to_the_top_meanwhile()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        for (var i = 0; i < 30; i++)
        {
            await app.MissedCallAsync($"+151255570{i:00}");
            app.Time.Advance(TimeSpan.FromMinutes(1));
        }
        var firstPage = await owner.PageAsync("/app");
        var older = WebUtility.HtmlDecode(OlderLink().Match(firstPage).Groups[1].Value);
        // The last row of page 1 (the anchor of page 2) gets a reply and jumps to the top.
        var anchor = await app.QueryAsync(d => d.MissedCalls.OrderByDescending(c => c.At).Skip(24).FirstAsync());
        await app.InboundSmsAsync(anchor.FromE164!, Number, "still there?");

        var secondPage = await OrderAsync(owner, older);
        Assert.Equal(5, secondPage.Count);
        Assert.DoesNotContain(Recoverly.Telephony.Phones.FormatForDisplay(anchor.FromE164!), secondPage);
        Assert.Equal(Recoverly.Telephony.Phones.FormatForDisplay(anchor.FromE164!), (await OrderAsync(owner))[0]);
    }

    [Fact]
    public async Task A_malformed_cursor_time_is_not_found()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        await app.MissedCallAsync(First);
        var id = await app.QueryAsync(d => d.MissedCalls.Select(c => c.Id).SingleAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await owner.GetAsync($"/app?before={id}&at=-5")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync($"/app?before={id}&at=not-a-number")).StatusCode);
    }

    [GeneratedRegex("""class="who"[^>]*>([^<]+)<""")]
    private static partial Regex Who();

    [GeneratedRegex("""<a href="(/app\?before=\d+&amp;at=\d+)">Older""")]
    private static partial Regex OlderLink();
}
