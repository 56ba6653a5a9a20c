using System.Net;
using Microsoft.EntityFrameworkCore;
using Recoverly.Consent;
using Recoverly.Texts;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.App;

/// <summary>Owner A tries every owner route with owner B's ids: nothing of B's is shown or changed.</summary>
public class IsolationTests
{
    private const string CallerOfB = "+15125550177";
    private const string NumberOfB = "+15125550200";

    [Theory]
    [BothDatabases]
    public async Task Owner_A_cannot_read_or_act_on_owner_B_records(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (a, _) = await OwnerClient.SignUpWithBusinessAsync(app, "a@acme.example");
        var (b, businessB) = await OwnerClient.SignUpWithBusinessAsync(app, "b@other.example", "Other Co", NumberOfB, "+15125550201");
        await app.MissedCallAsync(CallerOfB, to: NumberOfB); // B's text-back stays queued
        await app.InboundSmsAsync(CallerOfB, NumberOfB, "secret job details for B");
        await app.InboundSmsAsync(CallerOfB, NumberOfB, "HELP");
        var contactB = await app.QueryAsync(d => d.Contacts.SingleAsync(c => c.BusinessId == businessB.Id));
        var callB = await app.QueryAsync(d => d.MissedCalls.SingleAsync(c => c.BusinessId == businessB.Id));
        var before = await SnapshotAsync(app);

        foreach (var path in new[] { $"/app/contacts/{contactB.Id}", $"/app?before={callB.Id}" })
            Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync(path)).StatusCode);
        var reply = await a.PostAsync($"/app/contacts/{contactB.Id}?handler=Reply", new() { ["body"] = "hijack" }, tokenFrom: "/app");
        Assert.Equal(HttpStatusCode.NotFound, reply.StatusCode);
        var optOut = await a.PostAsync($"/app/contacts/{contactB.Id}?handler=OptOut", new() { ["how"] = "email" }, tokenFrom: "/app");
        Assert.Equal(HttpStatusCode.NotFound, optOut.StatusCode);

        foreach (var path in new[] { "/app", "/app?handler=Rows", "/app/consent.csv", "/app/data?handler=Export", "/app/settings", "/app/data" })
        {
            var response = await a.GetAsync(path);
            var body = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.DoesNotContain("(512) 555-0177", body);
            Assert.DoesNotContain(CallerOfB, body);
            Assert.DoesNotContain("secret job details", body);
            Assert.DoesNotContain("Other Co", body);
        }

        Assert.Equal(before, await SnapshotAsync(app));
        // B still sees all of it.
        var own = await b.TextAsync($"/app/contacts/{contactB.Id}");
        Assert.Contains("secret job details for B", own);
        Assert.Contains(CallerOfB, await (await b.GetAsync("/app/consent.csv")).Content.ReadAsStringAsync());
    }

    private static Task<string> SnapshotAsync(TestApp app) => app.QueryAsync(async d =>
    {
        var events = await d.ConsentEvents.CountAsync();
        var outbound = await d.OutboundMessages.Select(m => m.Kind + ":" + m.Status).ToListAsync();
        return $"{events}|{string.Join(',', outbound.Order())}";
    });

    [Fact]
    public async Task Forms_without_the_antiforgery_token_are_refused()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        await app.MissedCallAsync("+15125550142");
        var contact = await app.QueryAsync(d => d.Contacts.SingleAsync());

        var posts = new (string Path, Dictionary<string, string> Form)[]
        {
            ($"/app/contacts/{contact.Id}?handler=Reply", new() { ["body"] = "hi" }),
            ($"/app/contacts/{contact.Id}?handler=OptOut", new() { ["how"] = "email" }),
            ("/app/settings?handler=Texting", new() { ["paused"] = "true" }),
            ("/app/settings?handler=Templates", new() { ["textBack"] = "{Business}: call us. Reply STOP to opt out." }),
            ("/app/settings?handler=TextAlerts", new() { ["on"] = "false" }),
            ("/app/settings?handler=Preview", new() { ["template"] = "{Business}" }),
            ("/app/data?handler=Delete", new() { ["confirmName"] = "Acme Plumbing", ["password"] = OwnerClient.Password }),
        };
        foreach (var (path, form) in posts)
            Assert.Equal(HttpStatusCode.BadRequest, (await owner.PostAsync(path, form, withToken: false)).StatusCode);

        var business = await app.QueryAsync(d => d.Businesses.SingleAsync());
        Assert.False(business.TextingPaused);
        Assert.Null(business.DeletedAt);
        Assert.Empty(await app.QueryAsync(d => d.ConsentEvents.Where(e => e.Phone == "+15125550142").ToListAsync()));
        Assert.DoesNotContain(await app.QueryAsync(d => d.OutboundMessages.ToListAsync()), m => m.Kind == OutboundKind.OwnerReply);
    }

    [Fact]
    public async Task Owner_pages_need_a_signed_in_owner()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        foreach (var path in new[] { "/app", "/app/contacts/1", "/app/settings", "/app/data", "/app/consent.csv", "/app/data?handler=Export" })
        {
            var response = await app.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/login", response.Headers.Location?.PathAndQuery);
        }
    }
}
