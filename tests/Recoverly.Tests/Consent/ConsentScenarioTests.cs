using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Recoverly.Calls;
using Recoverly.Consent;
using Recoverly.Texts;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Consent;

public class ConsentScenarioTests
{
    private const string Caller = "+15125550142";
    private const string Number = "+15125550100";
    private const string Confirmation = "Acme Plumbing: you're unsubscribed and will get no more texts from us. Reply START to resubscribe.";

    private static IReadOnlyList<SentText> TextBacks(TestApp app) =>
        app.SmsApi.SentTo(Caller).Where(t => t.Body.StartsWith("Hi, this is")).ToList();

    [Theory]
    [MemberData(nameof(Databases.BothWithBothProviders), MemberType = typeof(Databases))]
    public async Task Stop_while_text_is_queued_cancels_it(Db db, Provider provider)
    {
        await using var app = await TestApp.StartAsync(db, provider);
        var business = await app.AddBusinessAsync();
        await app.MissedCallAsync(Caller);

        await HttpAssert.OkAsync(await app.InboundSmsAsync(Caller, Number, "STOP"));
        await app.DispatchAsync();

        Assert.Empty(TextBacks(app));
        var textBack = await app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Kind == OutboundKind.TextBack));
        Assert.Equal(OutboundStatus.Cancelled, textBack.Status);
        Assert.Equal(CallerConsent.OptedOut, await app.QueryAsync(d => ConsentLedger.CallerStateAsync(d, business.Id, Caller, default)));
        if (provider == Provider.Twilio)
        {
            Assert.Equal(Confirmation, Assert.Single(app.SmsApi.SentTo(Caller)).Body);
        }
        else
        {
            // Telnyx, and Twilio with its default keyword handling, answer their own opt-out words (docs/product/consent.md): one confirmation, not two.
            Assert.Empty(app.SmsApi.SentTo(Caller));
            Assert.Single(provider == Provider.Telnyx ? app.Telnyx.AutoRepliesTo(Caller) : app.Twilio.AutoRepliesTo(Caller));
        }
    }

    [Theory]
    [MemberData(nameof(Databases.BothWithBothProviders), MemberType = typeof(Databases))]
    public async Task No_text_after_an_opt_out_ever_and_a_repeated_stop_gets_no_second_confirmation(Db db, Provider provider)
    {
        await using var app = await TestApp.StartAsync(db, provider);
        await app.AddBusinessAsync();
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        await app.InboundSmsAsync(Caller, Number, "Stop.");
        await app.DispatchAsync();
        await app.InboundSmsAsync(Caller, Number, "STOP");
        app.Time.Advance(TimeSpan.FromDays(30));
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        // "Stop." is not one of Telnyx's own words, so Recoverly confirms it on both providers; the later "STOP" is evidence only.
        Assert.Single(TextBacks(app));
        Assert.Single(app.SmsApi.SentTo(Caller), t => t.Body == Confirmation);
        Assert.Equal(2, app.SmsApi.SentTo(Caller).Count);
        var outcomes = await app.QueryAsync(d => d.MissedCalls.OrderBy(c => c.Id).Select(c => c.Outcome).ToListAsync());
        Assert.Equal([CallOutcome.Texted, CallOutcome.OptedOut], outcomes);
        var events = await app.QueryAsync(d => d.ConsentEvents.Where(e => e.Phone == Caller).OrderBy(e => e.Id).ToListAsync());
        Assert.Equal([ConsentKind.OptOut, ConsentKind.OptOut], events.Select(e => e.Kind));
        Assert.Equal("Stop.", events[0].EvidenceText);
        Assert.Equal(await app.QueryAsync(d => d.InboundMessages.OrderBy(m => m.Id).Select(m => m.MessageSid).FirstAsync()), events[0].EvidenceRef);
    }

    [Fact]
    public async Task An_opt_out_covers_every_number_of_the_business()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var business = await app.AddBusinessAsync();
        await app.QueryAsync(async d =>
        {
            d.Numbers.Add(new Recoverly.Businesses.RecoverlyNumber { BusinessId = business.Id, E164 = "+15125550102" });
            return await d.SaveChangesAsync();
        });

        await app.InboundSmsAsync(Caller, Number, "unsubscribe");
        await app.MissedCallAsync(Caller, to: "+15125550102");
        await app.DispatchAsync();

        Assert.Equal(CallOutcome.OptedOut, await app.QueryAsync(d => d.MissedCalls.Select(c => c.Outcome).SingleAsync()));
        Assert.Empty(TextBacks(app));
    }

    [Theory]
    [MemberData(nameof(Databases.BothWithBothProviders), MemberType = typeof(Databases))]
    public async Task Start_resubscribes_with_one_confirmation_and_texts_resume(Db db, Provider provider)
    {
        await using var app = await TestApp.StartAsync(db, provider);
        await app.AddBusinessAsync();
        await app.InboundSmsAsync(Caller, Number, "STOP");
        await app.InboundSmsAsync(Caller, Number, "start");
        await app.DispatchAsync();
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        var bodies = app.SmsApi.SentTo(Caller).Select(t => t.Body).ToList();
        var events = await app.QueryAsync(d => d.ConsentEvents.Where(e => e.Phone == Caller).OrderBy(e => e.Id).Select(e => e.Kind).ToListAsync());
        Assert.Equal([ConsentKind.OptOut, ConsentKind.OptIn], events);
        if (provider != Provider.Twilio)
        {
            // The provider answered STOP and lifted its block on START itself; Recoverly recorded both, sent no duplicate, and texts resume.
            Assert.StartsWith("Hi, this is Acme Plumbing.", Assert.Single(bodies));
            if (provider == Provider.TwilioAnswersKeywords) Assert.Equal(2, app.Twilio.AutoRepliesTo(Caller).Count);
            return;
        }
        Assert.Equal(3, bodies.Count);
        Assert.Equal(Confirmation, bodies[0]);
        Assert.StartsWith("Acme Plumbing: you're resubscribed.", bodies[1]);
        Assert.Contains("Reply HELP for help, STOP to opt out.", bodies[1]);
        Assert.StartsWith("Hi, this is Acme Plumbing.", bodies[2]);
    }

    [Fact]
    public async Task Yes_resubscribes_only_a_caller_who_opted_out_otherwise_it_is_a_reply()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var business = await app.AddBusinessAsync();

        await app.InboundSmsAsync(Caller, Number, "Yes");
        await app.InboundSmsAsync("+15125550143", Number, "STOP");
        await app.InboundSmsAsync("+15125550143", Number, "YES");
        await app.DispatchAsync();

        var intents = await app.QueryAsync(d => d.InboundMessages.OrderBy(m => m.Id).Select(m => m.Intent).ToListAsync());
        Assert.Equal([InboundIntent.Conversation, InboundIntent.OptOut, InboundIntent.OptIn], intents);
        Assert.Empty(app.Twilio.SentTo(Caller));
        Assert.Equal(CallerConsent.Subscribed, await app.QueryAsync(d => ConsentLedger.CallerStateAsync(d, business.Id, "+15125550143", default)));
    }

    [Theory]
    [MemberData(nameof(Databases.BothWithBothProviders), MemberType = typeof(Databases))]
    public async Task Help_is_answered_even_to_an_opted_out_caller_and_changes_nothing(Db db, Provider provider)
    {
        await using var app = await TestApp.StartAsync(db, provider);
        var business = await app.AddBusinessAsync();
        // On Telnyx a bare STOP would block every later text at the provider, HELP answers included (40300); this opt-out is Recoverly's alone.
        await app.InboundSmsAsync(Caller, Number, provider == Provider.Telnyx ? "please stop texting me" : "STOP");
        await app.InboundSmsAsync(Caller, Number, "help");
        await app.DispatchAsync();

        if (provider == Provider.TwilioAnswersKeywords)
        {
            // Twilio answered STOP and HELP itself; Recoverly recorded both and sent nothing of its own.
            Assert.Empty(app.Twilio.SentTo(Caller));
            Assert.Equal([FakeTwilioApi.DefaultStopReply, FakeTwilioApi.DefaultHelpReply], app.Twilio.AutoRepliesTo(Caller).Select(t => t.Body));
            Assert.Equal(CallerConsent.OptedOut, await app.QueryAsync(d => ConsentLedger.CallerStateAsync(d, business.Id, Caller, default)));
            Assert.Equal(1, await app.QueryAsync(d => d.ConsentEvents.CountAsync(e => e.Phone == Caller && e.Kind == ConsentKind.Help)));
            return;
        }
        var help = app.SmsApi.SentTo(Caller).Last().Body;
        Assert.Contains("Acme Plumbing", help);
        Assert.Contains("(512) 555-0101", help);
        Assert.Contains("Msg & data rates may apply", help);
        Assert.Contains("1 message per missed call", help);
        Assert.Contains("Reply STOP to opt out", help);
        Assert.InRange(help.Length, 20, 320);
        Assert.Equal(CallerConsent.OptedOut, await app.QueryAsync(d => ConsentLedger.CallerStateAsync(d, business.Id, Caller, default)));
    }

    [Theory]
    [InlineData(true, null)]
    [InlineData(false, "STOP")]
    public async Task When_the_provider_answers_keywords_Recoverly_records_the_opt_out_but_sends_no_confirmation(bool advancedOptOut, string? optOutType)
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite,
            new Dictionary<string, string?> { ["Twilio:AdvancedOptOut"] = advancedOptOut ? "true" : "false" });
        var business = await app.AddBusinessAsync();
        await app.MissedCallAsync(Caller);

        await app.InboundSmsAsync(Caller, Number, "stop", extra: optOutType is null ? null : new Dictionary<string, string> { ["OptOutType"] = optOutType });
        await app.DispatchAsync();

        Assert.Empty(app.Twilio.SentTo(Caller));
        Assert.Equal(CallerConsent.OptedOut, await app.QueryAsync(d => ConsentLedger.CallerStateAsync(d, business.Id, Caller, default)));
    }

    [Fact]
    public async Task A_stop_confirmation_that_cannot_go_within_five_minutes_is_never_sent()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        await app.AddBusinessAsync();
        app.Twilio.Script(Enumerable.Repeat(new Scripted(503, 20503), 30).ToArray());

        await app.InboundSmsAsync(Caller, Number, "STOP");
        for (var i = 0; i < 12; i++)
        {
            await app.DispatchAsync();
            app.Time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Empty(app.Twilio.SentTo(Caller));
        var confirmation = await app.QueryAsync(d => d.OutboundMessages.SingleAsync());
        Assert.Equal(OutboundStatus.Expired, confirmation.Status);
    }

    [Fact]
    public async Task A_sentence_that_merely_contains_stop_is_a_conversation()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var business = await app.AddBusinessAsync();
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        await app.InboundSmsAsync(Caller, Number, "Can you stop by at 3?");
        await app.DispatchAsync();

        Assert.Equal(InboundIntent.Conversation, await app.QueryAsync(d => d.InboundMessages.Select(m => m.Intent).SingleAsync()));
        Assert.Equal(CallerConsent.Subscribed, await app.QueryAsync(d => ConsentLedger.CallerStateAsync(d, business.Id, Caller, default)));
        Assert.Single(app.Twilio.SentTo(Caller)); // only the text-back; conversations get no automatic reply
    }

    [Theory]
    [BothDatabases]
    public async Task The_consent_ledger_refuses_updates_and_deletes(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync();
        await app.InboundSmsAsync(Caller, Number, "STOP");

        var update = await Record.ExceptionAsync(() => app.QueryAsync(d =>
            d.ConsentEvents.ExecuteUpdateAsync(s => s.SetProperty(e => e.Kind, ConsentKind.OptIn))));
        var delete = await Record.ExceptionAsync(() => app.QueryAsync(d => d.ConsentEvents.ExecuteDeleteAsync()));

        AssertRefusedByTheAppendOnlyTrigger(db, update);
        AssertRefusedByTheAppendOnlyTrigger(db, delete);
        Assert.Equal(ConsentKind.OptOut, await app.QueryAsync(d => d.ConsentEvents.Where(e => e.Phone == Caller).Select(e => e.Kind).SingleAsync()));
    }

    /// <summary>The database's own trigger said no — not some other failure (a typo in the query, a lost connection).</summary>
    private static void AssertRefusedByTheAppendOnlyTrigger(Db db, Exception? refused)
    {
        Assert.NotNull(refused);
        if (db == Db.Sqlite)
        {
            var e = Assert.IsType<SqliteException>(refused);
            Assert.Equal(SqliteConstraintTrigger, e.SqliteExtendedErrorCode);
            Assert.Contains("consent events are append-only", e.Message, StringComparison.Ordinal);
        }
        else
        {
            var e = Assert.IsType<PostgresException>(refused);
            Assert.Equal(PostgresErrorCodes.RaiseException, e.SqlState);
            Assert.Equal("consent events are append-only", e.MessageText);
            Assert.Equal("consent_events_append_only", Regex.Match(e.Where ?? "", @"PL/pgSQL function (\w+)\(").Groups[1].Value);
        }
    }

    /// <summary>SQLITE_CONSTRAINT_TRIGGER: a trigger's RAISE(ABORT, ...).</summary>
    private const int SqliteConstraintTrigger = 1811;

    [Theory]
    [InlineData(Provider.Twilio)]
    [InlineData(Provider.Telnyx)]
    public async Task A_replayed_inbound_stop_is_recorded_once(Provider provider)
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, provider);
        await app.AddBusinessAsync();
        var sid = app.NewMessageSid();

        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => app.InboundSmsAsync(Caller, Number, "Stop please", sid)));
        await app.DispatchAsync();

        Assert.Equal(1, await app.QueryAsync(d => d.InboundMessages.CountAsync()));
        Assert.Equal(1, await app.QueryAsync(d => d.ConsentEvents.CountAsync(e => e.Phone == Caller)));
        Assert.Equal([Confirmation], app.SmsApi.SentTo(Caller).Select(t => t.Body));
    }

    [Theory]
    [MemberData(nameof(Databases.BothWithBothProviders), MemberType = typeof(Databases))]
    public async Task Stops_from_one_caller_handled_at_the_same_moment_get_exactly_one_confirmation(Db db, Provider provider)
    {
        await using var app = await TestApp.StartAsync(db, provider);
        await app.AddBusinessAsync();
        await app.MissedCallAsync(Caller);

        // Different messages (each its own MessageSid), as a caller who taps "Stop please" and "please stop" in a row sends them;
        // none is one of Telnyx's own words, so on both providers Recoverly is the one to confirm.
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => app.InboundSmsAsync(Caller, Number, i % 2 == 0 ? "Stop please" : "please stop")));
        foreach (var answer in answers) await HttpAssert.OkAsync(answer);
        await app.DispatchAsync();

        Assert.Equal([Confirmation], app.SmsApi.SentTo(Caller).Select(t => t.Body));
        Assert.Equal(8, await app.QueryAsync(d => d.ConsentEvents.CountAsync(e => e.Phone == Caller && e.Kind == ConsentKind.OptOut)));
        Assert.Equal(1, await app.QueryAsync(d => d.OutboundMessages.CountAsync(m => m.Kind == OutboundKind.OptOutConfirmation)));
    }
}
