using System.Net;
using Microsoft.EntityFrameworkCore;
using Recoverly.Consent;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Telephony;

public class WebhookDatabaseFailureTests
{
    private const string Caller = "+15125550142";
    private const string Number = "+15125550100";

    /// <summary>Makes every insert into the outbox fail, as a database that breaks in the middle of a webhook's transaction.</summary>
    private static Task BreakOutboxAsync(TestApp app) => app.QueryAsync(d => d.Database.ExecuteSqlRawAsync(app.Db == Db.Sqlite
        ? """CREATE TRIGGER "break_outbox" BEFORE INSERT ON "OutboundMessages" BEGIN SELECT RAISE(ABORT, 'database down'); END;"""
        : """
          CREATE FUNCTION break_outbox() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'database down'; END $$;
          CREATE TRIGGER "break_outbox" BEFORE INSERT ON "OutboundMessages" FOR EACH ROW EXECUTE FUNCTION break_outbox();
          """));

    private static Task RepairOutboxAsync(TestApp app) => app.QueryAsync(d => d.Database.ExecuteSqlRawAsync(app.Db == Db.Sqlite
        ? """DROP TRIGGER "break_outbox";"""
        : """DROP TRIGGER "break_outbox" ON "OutboundMessages"; DROP FUNCTION break_outbox();"""));

    [Theory]
    [BothDatabases]
    public async Task A_database_failure_answers_503_leaves_nothing_behind_and_the_retry_records_once(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync();
        await app.MissedCallAsync(Caller);
        await app.DispatchAsync();
        await BreakOutboxAsync(app);
        var sid = TestApp.NewSid("SM");

        var failed = await app.InboundSmsAsync(Caller, Number, "STOP", sid);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Equal("5", failed.Headers.RetryAfter?.ToString());
        Assert.Equal(0, await app.QueryAsync(d => d.InboundMessages.CountAsync()));
        Assert.Equal(0, await app.QueryAsync(d => d.ConsentEvents.CountAsync()));
        Assert.DoesNotContain(app.Logs.Lines, m => m.Contains(Caller, StringComparison.Ordinal));

        await RepairOutboxAsync(app);
        await HttpAssert.OkXmlAsync(await app.InboundSmsAsync(Caller, Number, "STOP", sid));
        await HttpAssert.OkXmlAsync(await app.InboundSmsAsync(Caller, Number, "STOP", sid));
        await app.DispatchAsync();

        Assert.Equal(1, await app.QueryAsync(d => d.InboundMessages.CountAsync()));
        Assert.Equal(ConsentKind.OptOut, (await app.QueryAsync(d => d.ConsentEvents.SingleAsync())).Kind);
        Assert.Equal(2, app.Twilio.SentTo(Caller).Count); // the text-back and one STOP confirmation
    }
}
