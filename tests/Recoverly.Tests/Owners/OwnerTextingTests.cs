using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Recoverly.Consent;
using Recoverly.Data;
using Recoverly.Owners;
using Recoverly.Texts;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Owners;

/// <summary>Nobody can make Recoverly text a stranger through what an owner sets off: alert requests and replies (docs/product/owner-alerts.md).</summary>
public class OwnerTextingTests
{
    private const string Caller = "+15125550142";
    private const string Number = "+15125550100";
    private const string Stranger = "+15125550177";
    private const string Settings = "/app/settings";

    private static Task<HttpResponseMessage> AskForAlertsAsync(OwnerClient owner, string phone) =>
        owner.PostAsync($"{Settings}?handler=TextAlerts", new() { ["on"] = "true", ["ownerPhone"] = phone, ["agree"] = "true" }, tokenFrom: Settings);

    private static Task<(int Events, int Texts)> RecordAsync(TestApp app) => app.QueryAsync(async d =>
        (await d.ConsentEvents.CountAsync(), await d.OutboundMessages.CountAsync()));

    [Theory]
    [BothDatabases]
    public async Task A_phone_that_said_STOP_gets_no_new_request_until_it_texts_START_itself(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, business) = await OwnerClient.SignUpWithBusinessAsync(app);
        Assert.Equal(HttpStatusCode.Redirect, (await AskForAlertsAsync(owner, Stranger)).StatusCode);
        await app.DispatchAsync();
        await app.InboundSmsAsync(Stranger, Number, "STOP");
        await app.DispatchAsync();
        var textsToStranger = app.Twilio.SentTo(Stranger).Count; // the request and the one STOP confirmation
        var before = await RecordAsync(app);

        app.Time.Advance(TimeSpan.FromHours(1));
        var again = await AskForAlertsAsync(owner, Stranger);
        await app.DispatchAsync();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, again.StatusCode);
        Assert.Contains("(512) 555-0177 replied STOP to our alert texts, so we won't text it again", WebUtility.HtmlDecode(await again.Content.ReadAsStringAsync()));
        Assert.Equal(before, await RecordAsync(app));
        Assert.Equal(textsToStranger, app.Twilio.SentTo(Stranger).Count);

        // The phone itself comes back: START turns alerts on, no new request needed.
        await app.InboundSmsAsync(Stranger, Number, "START");
        await app.DispatchAsync();
        Assert.Equal(OwnerAlertConsent.Confirmed, await app.QueryAsync(d => ConsentLedger.OwnerStateAsync(d, business.Id, Stranger, default)));
    }

    [Theory]
    [BothDatabases]
    public async Task Turning_alerts_off_in_settings_does_not_block_asking_again(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        await AskForAlertsAsync(owner, Stranger);
        await app.DispatchAsync();
        await owner.PostAsync($"{Settings}?handler=TextAlerts", new() { ["on"] = "false" }, tokenFrom: Settings);
        app.Time.Advance(TimeSpan.FromMinutes(11));

        Assert.Equal(HttpStatusCode.Redirect, (await AskForAlertsAsync(owner, Stranger)).StatusCode);
        await app.DispatchAsync();
        Assert.Equal(2, app.Twilio.SentTo(Stranger).Count(t => t.Body.StartsWith("Recoverly: reply YES", StringComparison.Ordinal)));
    }

    [Theory]
    [BothDatabases]
    public async Task Alert_requests_are_capped_per_number_and_per_account_and_a_refusal_records_nothing(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        for (var i = 0; i < OwnerTexting.AlertRequestsPerNumberPerDay; i++)
        {
            Assert.Equal(HttpStatusCode.Redirect, (await AskForAlertsAsync(owner, Stranger)).StatusCode);
            await app.DispatchAsync();
            app.Time.Advance(TimeSpan.FromMinutes(11));
        }
        var before = await RecordAsync(app);
        var capped = await AskForAlertsAsync(owner, Stranger);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, capped.StatusCode);
        Assert.Contains("(512) 555-0177 has had 3 alert confirmation texts today, the daily limit.", WebUtility.HtmlDecode(await capped.Content.ReadAsStringAsync()));
        Assert.Equal(before, await RecordAsync(app));

        // Two more phones reach the account's five; the sixth phone is refused.
        Assert.Equal(HttpStatusCode.Redirect, (await AskForAlertsAsync(owner, "+15125550171")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await AskForAlertsAsync(owner, "+15125550172")).StatusCode);
        var sixth = await AskForAlertsAsync(owner, "+15125550173");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, sixth.StatusCode);
        Assert.Contains("Your account has sent 5 alert confirmation texts today", WebUtility.HtmlDecode(await sixth.Content.ReadAsStringAsync()));
        await app.DispatchAsync();
        Assert.Empty(app.Twilio.SentTo("+15125550173"));
        Assert.Equal(3, app.Twilio.SentTo(Stranger).Count);

        // A new day (UTC) has new slots.
        app.Time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(HttpStatusCode.Redirect, (await AskForAlertsAsync(owner, "+15125550173")).StatusCode);
    }

    [Theory]
    [BothDatabases]
    public async Task Caps_are_taken_atomically_in_the_database_when_many_processes_ask_at_once(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var business = await app.AddBusinessAsync();
        var now = app.Time.GetUtcNow().UtcDateTime;

        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Task.Run(() => app.WithScopeAsync(async sp =>
        {
            var d = sp.GetRequiredService<RecoverlyDb>();
            await using var tx = await d.BeginWriteAsync(CancellationToken.None);
            var refusal = await OwnerTexting.TakeSlotsAsync(d, business.Id, OwnerTextKind.AlertRequest, Stranger, now, CancellationToken.None);
            await tx.CommitAsync(CancellationToken.None);
            return refusal;
        }))));

        Assert.Equal(OwnerTexting.AlertRequestsPerNumberPerDay, results.Count(r => r is null));
        Assert.All(results.Where(r => r is not null), r => Assert.Equal(OwnerTextRefusal.NumberDailyCap, r));
        // The account slots of the refused attempts were given back.
        var accountCount = await app.QueryAsync(d => d.OwnerTextCounters.Where(c => c.Key == $"AlertRequest:account:{business.Id}").Select(c => c.Count).SingleAsync());
        Assert.Equal(OwnerTexting.AlertRequestsPerNumberPerDay, accountCount);
    }

    [Theory]
    [BothDatabases]
    public async Task Owner_phones_outside_the_allowed_countries_are_refused(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        var before = await RecordAsync(app);

        var refused = await AskForAlertsAsync(owner, "+447911123456");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Contains("Recoverly only texts numbers in the countries it serves", WebUtility.HtmlDecode(await refused.Content.ReadAsStringAsync()));
        Assert.Equal(before, await RecordAsync(app));
    }

    [Theory]
    [BothDatabases]
    public async Task An_account_with_an_unconfirmed_email_sets_off_no_owner_text_but_callers_still_get_text_backs(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, business) = await OwnerClient.SignUpWithBusinessAsync(app);
        await AskForAlertsAsync(owner, "+15125550199");
        await app.InboundSmsAsync("+15125550199", Number, "YES");
        await app.QueryAsync(d => d.OwnerAccounts.ExecuteUpdateAsync(s => s.SetProperty(a => a.EmailVerifiedAt, (DateTime?)null)));

        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        Assert.Single(app.Twilio.SentTo(Caller)); // the text-back is not owner-initiated
        var contactId = await app.QueryAsync(d => d.Contacts.Where(c => c.Phone == Caller).Select(c => c.Id).SingleAsync());
        var before = await RecordAsync(app);

        var request = await AskForAlertsAsync(owner, Stranger);
        var page = $"/app/contacts/{contactId}";
        var reply = await owner.PostAsync($"{page}?handler=Reply", new() { ["body"] = "Hi!", ["replyKey"] = new string('a', 32) }, tokenFrom: page);
        var ownerBefore = app.Twilio.SentTo("+15125550199").Count;
        await app.InboundSmsAsync("+15125550199", Number, "On my way");
        await app.DispatchAsync();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, request.StatusCode);
        Assert.Contains("Confirm your email address first", WebUtility.HtmlDecode(await request.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reply.StatusCode);
        Assert.Contains("Confirm your email address first", WebUtility.HtmlDecode(await reply.Content.ReadAsStringAsync()));
        Assert.Single(app.Twilio.SentTo(Caller));
        Assert.Empty(app.Twilio.SentTo(Stranger));
        Assert.StartsWith("Recoverly: your reply to (512) 555-0142 was not sent. Confirm your email address first",
            Assert.Single(app.Twilio.SentTo("+15125550199").Skip(ownerBefore)).Body);
        Assert.Equal(before.Events, (await RecordAsync(app)).Events);
        Assert.Equal(0, await app.QueryAsync(d => d.OutboundMessages.CountAsync(m => m.Kind == OutboundKind.OwnerReply)));
        Assert.Equal(business.Id, await app.QueryAsync(d => d.Businesses.Select(b => b.Id).SingleAsync()));
    }

    [Theory]
    [BothDatabases]
    public async Task An_account_whose_plan_does_not_text_sets_off_no_owner_text(Db db)
    {
        await using var app = await TestApp.StartAsync(db, new Dictionary<string, string?>
        {
            ["Billing:Provider"] = "Stripe", ["Stripe:SecretKey"] = "sk_test_unused", ["Stripe:PriceId"] = "price_unused",
            ["Stripe:WebhookSecret"] = "whsec_unused", ["Stripe:ApiBaseUrl"] = "http://127.0.0.1:9",
        });
        var (owner, business) = await OwnerClient.SignUpWithBusinessAsync(app);
        var past = app.Time.GetUtcNow().UtcDateTime.AddMinutes(-1);
        await app.QueryAsync(d => d.Businesses.Where(b => b.Id == business.Id).ExecuteUpdateAsync(s => s.SetProperty(b => b.TrialEndsAt, past)));
        var before = await RecordAsync(app);

        var request = await AskForAlertsAsync(owner, Stranger);
        await app.DispatchAsync();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, request.StatusCode);
        Assert.Contains("Texting is off because your subscription isn't active", WebUtility.HtmlDecode(await request.Content.ReadAsStringAsync()));
        Assert.Equal(before, await RecordAsync(app));
        Assert.Empty(app.Twilio.SentTo(Stranger));
    }

    [Fact]
    public async Task The_request_carries_no_words_the_owner_typed()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app, name: "WIN A PRIZE at https://evil.example now");

        await AskForAlertsAsync(owner, Stranger);
        await app.DispatchAsync();

        var request = Assert.Single(app.Twilio.SentTo(Stranger)).Body;
        Assert.Equal(TextTemplates.OwnerOptInRequest(Number), request);
        Assert.DoesNotContain("PRIZE", request);
        Assert.DoesNotContain("evil", request);
        Assert.Equal("Recoverly: missed-call alerts for WIN A PRIZE at https evil exam are on. About 1 alert per missed call or reply. Msg & data rates may apply. Reply HELP for help, STOP to cancel.",
            TextTemplates.OwnerAlertsOn("WIN A PRIZE at https://evil.example now"));
    }

    [Theory]
    [BothDatabases]
    public async Task Replies_from_the_app_stop_at_the_daily_cap_per_caller(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);
        await app.MissedCallAsync(Caller);
        var contactId = await app.QueryAsync(d => d.Contacts.Where(c => c.Phone == Caller).Select(c => c.Id).SingleAsync());
        var page = $"/app/contacts/{contactId}";
        HttpResponseMessage last = null!;
        for (var i = 0; i <= OwnerTexting.RepliesPerNumberPerDay; i++)
            last = await owner.PostAsync($"{page}?handler=Reply", new() { ["body"] = $"Reply {i}", ["replyKey"] = $"{i:x32}" }, tokenFrom: page);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, last.StatusCode);
        Assert.Contains("(512) 555-0142 has had 30 replies today, the daily limit.", WebUtility.HtmlDecode(await last.Content.ReadAsStringAsync()));
        Assert.Equal(OwnerTexting.RepliesPerNumberPerDay, await app.QueryAsync(d => d.OutboundMessages.CountAsync(m => m.Kind == OutboundKind.OwnerReply)));
    }
}
