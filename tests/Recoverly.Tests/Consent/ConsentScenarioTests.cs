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
        app.Twilio.SentTo(Caller).Where(t => t.Body.StartsWith("Hi, this is")).ToList();

    [Theory]
    [BothDatabases]
    public async Task Stop_while_text_is_queued_cancels_it(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync();
        await app.MissedCallAsync(Caller);

        var reply = await HttpAssert.OkXmlAsync(await app.InboundSmsAsync(Caller, Number, "STOP"));
        await app.DispatchAsync();

        Assert.Contains("<Response", reply);
        Assert.Empty(TextBacks(app));
        Assert.Equal(Confirmation, Assert.Single(app.Twilio.SentTo(Caller)).Body);
        var textBack = await app.QueryAsync(d => d.OutboundMessages.SingleAsync(m => m.Kind == OutboundKind.TextBack));
        Assert.Equal(OutboundStatus.Cancelled, textBack.Status);
    }

    [Theory]
    [BothDatabases]
    public async Task No_text_after_an_opt_out_ever_and_a_repeated_stop_gets_no_second_confirmation(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync();
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        await app.InboundSmsAsync(Caller, Number, "Stop.");
        await app.DispatchAsync();
        await app.InboundSmsAsync(Caller, Number, "STOP");
        app.Time.Advance(TimeSpan.FromDays(30));
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        Assert.Single(TextBacks(app));
        Assert.Single(app.Twilio.SentTo(Caller), t => t.Body == Confirmation);
        Assert.Equal(2, app.Twilio.SentTo(Caller).Count);
        var outcomes = await app.QueryAsync(d => d.MissedCalls.OrderBy(c => c.Id).Select(c => c.Outcome).ToListAsync());
        Assert.Equal([CallOutcome.Texted, CallOutcome.OptedOut], outcomes);
        var events = await app.QueryAsync(d => d.ConsentEvents.Where(e => e.Phone == Caller).OrderBy(e => e.Id).ToListAsync());
        Assert.Equal([ConsentKind.OptOut, ConsentKind.OptOut], events.Select(e => e.Kind));
        Assert.Equal("Stop.", events[0].EvidenceText);
        Assert.StartsWith("SM", events[0].EvidenceRef);
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
    [BothDatabases]
    public async Task Start_resubscribes_with_one_confirmation_and_texts_resume(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync();
        await app.InboundSmsAsync(Caller, Number, "STOP");
        await app.InboundSmsAsync(Caller, Number, "start");
        await app.DispatchAsync();
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        var bodies = app.Twilio.SentTo(Caller).Select(t => t.Body).ToList();
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
        await app.AddBusinessAsync();

        await app.InboundSmsAsync(Caller, Number, "Yes");
        await app.InboundSmsAsync("+15125550143", Number, "STOP");
        await app.InboundSmsAsync("+15125550143", Number, "YES");
        await app.DispatchAsync();

        var intents = await app.QueryAsync(d => d.InboundMessages.OrderBy(m => m.Id).Select(m => m.Intent).ToListAsync());
        Assert.Equal([InboundIntent.Conversation, InboundIntent.OptOut, InboundIntent.OptIn], intents);
        Assert.Empty(app.Twilio.SentTo(Caller));
        Assert.Equal(CallerConsent.Subscribed, await app.QueryAsync(d => ConsentLedger.CallerStateAsync(d, 1, "+15125550143", default)));
    }

    [Theory]
    [BothDatabases]
    public async Task Help_is_answered_even_to_an_opted_out_caller_and_changes_nothing(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync();
        await app.InboundSmsAsync(Caller, Number, "STOP");
        await app.InboundSmsAsync(Caller, Number, "help");
        await app.DispatchAsync();

        var help = app.Twilio.SentTo(Caller).Last().Body;
        Assert.Contains("Acme Plumbing", help);
        Assert.Contains("(512) 555-0101", help);
        Assert.Contains("Msg & data rates may apply", help);
        Assert.Contains("1 message per missed call", help);
        Assert.Contains("Reply STOP to opt out", help);
        Assert.InRange(help.Length, 20, 320);
        Assert.Equal(CallerConsent.OptedOut, await app.QueryAsync(d => ConsentLedger.CallerStateAsync(d, 1, Caller, default)));
    }

    [Theory]
    [InlineData(true, null)]
    [InlineData(false, "STOP")]
    public async Task When_the_provider_answers_keywords_Recoverly_records_the_opt_out_but_sends_no_confirmation(bool advancedOptOut, string? optOutType)
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite,
            new Dictionary<string, string?> { ["Twilio:AdvancedOptOut"] = advancedOptOut ? "true" : "false" });
        await app.AddBusinessAsync();
        await app.MissedCallAsync(Caller);

        await app.InboundSmsAsync(Caller, Number, "stop", extra: optOutType is null ? null : new Dictionary<string, string> { ["OptOutType"] = optOutType });
        await app.DispatchAsync();

        Assert.Empty(app.Twilio.SentTo(Caller));
        Assert.Equal(CallerConsent.OptedOut, await app.QueryAsync(d => ConsentLedger.CallerStateAsync(d, 1, Caller, default)));
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
        await app.AddBusinessAsync();
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();

        await app.InboundSmsAsync(Caller, Number, "Can you stop by at 3?");
        await app.DispatchAsync();

        Assert.Equal(InboundIntent.Conversation, await app.QueryAsync(d => d.InboundMessages.Select(m => m.Intent).SingleAsync()));
        Assert.Equal(CallerConsent.Subscribed, await app.QueryAsync(d => ConsentLedger.CallerStateAsync(d, 1, Caller, default)));
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

    [Fact]
    public async Task A_replayed_inbound_stop_is_recorded_once()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        await app.AddBusinessAsync();
        var sid = TestApp.NewSid("SM");

        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => app.InboundSmsAsync(Caller, Number, "STOP", sid)));
        await app.DispatchAsync();

        Assert.Equal(1, await app.QueryAsync(d => d.InboundMessages.CountAsync()));
        Assert.Equal(1, await app.QueryAsync(d => d.ConsentEvents.CountAsync(e => e.Phone == Caller)));
        Assert.Single(app.Twilio.SentTo(Caller));
    }

    [Theory]
    [BothDatabases]
    public async Task Stops_from_one_caller_handled_at_the_same_moment_get_exactly_one_confirmation(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync();
        await app.MissedCallAsync(Caller);

        // Different messages (each its own MessageSid), as a caller who taps STOP, Stop and stop in a row sends them.
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => app.InboundSmsAsync(Caller, Number, i % 2 == 0 ? "STOP" : "stop")));
        foreach (var answer in answers) await HttpAssert.OkXmlAsync(answer);
        await app.DispatchAsync();

        Assert.Equal([Confirmation], app.Twilio.SentTo(Caller).Select(t => t.Body));
        Assert.Equal(8, await app.QueryAsync(d => d.ConsentEvents.CountAsync(e => e.Phone == Caller && e.Kind == ConsentKind.OptOut)));
        Assert.Equal(1, await app.QueryAsync(d => d.OutboundMessages.CountAsync(m => m.Kind == OutboundKind.OptOutConfirmation)));
    }
}
