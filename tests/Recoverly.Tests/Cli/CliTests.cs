using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Cli;

/// <summary>The operator CLI (README, "Operator CLI"), run as the real program: exit codes, standard output and standard error.</summary>
[Collection(AppProcessCollection.Name)]
public class CliTests(CliTests.AcmeDatabase acme) : IClassFixture<CliTests.AcmeDatabase>
{
    private const string Caller = "+15125550142";
    private const string Number = "+15125550100";

    private static readonly string[] AddAcme =
        ["business", "add", "--name", "Acme", "--number", Number, "--business-phone", "+15125550101", "--owner-phone", "+15125550199"];

    [Fact]
    public async Task Migrate_creates_the_database_and_exits_zero()
    {
        await using var app = await AppProcess.CreateAsync(Db.Sqlite);

        var migrate = await app.RunCliAsync("migrate");
        var again = await app.RunCliAsync("migrate");

        Assert.True(migrate.ExitCode == 0, migrate.ToString());
        Assert.Equal("", migrate.Stdout);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(0, await app.QueryAsync(d => d.Businesses.CountAsync()));
    }

    [Theory]
    [BothDatabases]
    public async Task Business_add_then_list_json_prints_only_camel_case_json(Db db)
    {
        await using var app = await AppProcess.CreateAsync(db);
        Assert.Equal(0, (await app.RunCliAsync("migrate")).ExitCode);

        var add = await app.RunCliAsync(AddAcme);
        var list = await app.RunCliAsync("business", "list", "--json");

        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.True(list.ExitCode == 0, list.ToString());
        using var json = JsonDocument.Parse(list.Stdout); // throws if anything but JSON is on standard output
        var business = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal(["id", "name", "numbers", "businessPhone", "ownerPhone"], business.EnumerateObject().Select(p => p.Name));
        Assert.Equal(1, business.GetProperty("id").GetInt64());
        Assert.Equal("Acme", business.GetProperty("name").GetString());
        Assert.Equal([Number], business.GetProperty("numbers").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal("+15125550101", business.GetProperty("businessPhone").GetString());
        Assert.Equal("+15125550199", business.GetProperty("ownerPhone").GetString());
    }

    public static TheoryData<string[], string> InvalidArguments => new()
    {
        { ["business", "add", "--name", "Bolt", "--number", "555", "--business-phone", "+15125550111"], "--number" },
        { ["business", "add", "--name", "Bolt", "--number", "+15125550110", "--business-phone", "not-a-phone"], "--business-phone" },
        { ["business", "add", "--name", "Bolt", "--number", "+15125550110", "--business-phone", "+15125550111", "--owner-phone", "12"], "--owner-phone" },
        { ["business", "add", "--name", "Bolt", "--number", "+15125550110", "--business-phone", "+15125550111", "--colour", "red"], "--colour" },
        { ["business", "add", "--number", "+15125550110", "--business-phone", "+15125550111"], "--name" },
        { ["business", "add", "--name", "Bolt", "--number", "+15125550110", "--business-phone", "+15125550111", "--time-zone", "Mars/Olympus_Mons"], "--time-zone" },
        { ["business", "add", "--name", "Bolt", "--number", "+15125550110", "--business-phone", "+15125550111", "--mode", "carrier-pigeon"], "carrier-pigeon" },
        { ["business", "add", "--name", "Bolt", "--number", Number, "--business-phone", "+15125550111"], "--number" }, // already Acme's
        { ["calls", "list", "--business", "99", "--json"], "--business 99" },
        { ["consent", "show", "--business", "99", "--phone", Caller], "--business 99" },
        { ["consent", "show", "--business", "1", "--phone", "call-me"], "--phone" },
        { ["consent", "export", "--business", "99"], "--business 99" },
        { ["consent", "export", "--business", "one"], "one" },
    };

    [Theory]
    [MemberData(nameof(InvalidArguments))]
    public async Task Invalid_arguments_print_one_line_naming_the_problem_exit_non_zero_and_write_nothing(string[] args, string named)
    {
        var app = acme.App;

        var result = await app.RunCliAsync(args);

        Assert.True(result.ExitCode != 0, result.ToString());
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"expected one line on standard error:\n{result}");
        Assert.Contains(named, lines[0]);
        Assert.Equal("", result.Stdout);
        var list = await app.RunCliAsync("business", "list", "--json");
        Assert.True(list.Stdout == acme.BusinessList, $"the list changed:\n{list}");
        Assert.Equal(acme.Rows, await AcmeDatabase.CountRowsAsync(app));
    }

    [Theory]
    [BothDatabases]
    public async Task Calls_and_consent_commands_show_what_the_running_server_recorded(Db db)
    {
        await using var sink = await TwilioSink.StartAsync();
        await using var app = await AppProcess.CreateAsync(db, sink);
        Assert.Equal(0, (await app.RunCliAsync(AddAcme)).ExitCode);
        await app.StartServerAsync();

        var callSid = TestApp.NewSid("CA");
        (await app.MissedCallAsync(Caller, callSid: callSid)).EnsureSuccessStatusCode();
        await Eventually.TrueAsync(() => app.QueryAsync(d => d.OutboundMessages.AnyAsync(m => m.To == Caller && m.ProviderSid != null)),
            "the text-back was handed to the provider");
        var stopSid = TestApp.NewSid("SM");
        (await app.InboundSmsAsync(Caller, "STOP", messageSid: stopSid)).EnsureSuccessStatusCode();
        var calls = await app.RunCliAsync("calls", "list", "--business", "1", "--json");
        var consent = await app.RunCliAsync("consent", "show", "--business", "1", "--phone", Caller, "--json");
        var export = await app.RunCliAsync("consent", "export", "--business", "1");

        Assert.True(calls.ExitCode == 0, calls.ToString());
        using var callsJson = JsonDocument.Parse(calls.Stdout);
        var call = Assert.Single(callsJson.RootElement.EnumerateArray());
        Assert.Equal(["id", "callSid", "from", "at", "outcome", "texts"], call.EnumerateObject().Select(p => p.Name));
        Assert.Equal(callSid, call.GetProperty("callSid").GetString());
        Assert.Equal(Caller, call.GetProperty("from").GetString());
        Assert.Equal(JsonValueKind.String, call.GetProperty("at").ValueKind);
        Assert.Equal("texted", call.GetProperty("outcome").GetString());
        var text = Assert.Single(call.GetProperty("texts").EnumerateArray());
        Assert.Equal(["sid", "to", "body", "status"], text.EnumerateObject().Select(p => p.Name));
        var sent = Assert.Single(sink.Api.SentTo(Caller), t => t.Body.StartsWith("Hi, this is Acme", StringComparison.Ordinal));
        Assert.Equal(sent.Sid, text.GetProperty("sid").GetString());
        Assert.Equal(Caller, text.GetProperty("to").GetString());
        Assert.Equal(sent.Body, text.GetProperty("body").GetString());
        Assert.Equal("queued", text.GetProperty("status").GetString());

        Assert.True(consent.ExitCode == 0, consent.ToString());
        using var consentJson = JsonDocument.Parse(consent.Stdout);
        var optOut = Assert.Single(consentJson.RootElement.EnumerateArray());
        Assert.Equal(["kind", "source", "at", "evidence"], optOut.EnumerateObject().Select(p => p.Name));
        Assert.Equal("opt_out", optOut.GetProperty("kind").GetString());
        Assert.Equal("keyword", optOut.GetProperty("source").GetString());
        Assert.Contains(stopSid, optOut.GetProperty("evidence").GetString());

        Assert.True(export.ExitCode == 0, export.ToString());
        var rows = export.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("id,business_id,phone,kind,source,at_utc,evidence_ref,evidence_text", rows[0]);
        Assert.Equal(3, rows.Length); // header, the owner's opt-in request, the caller's STOP
        Assert.StartsWith("1,1,+15125550199,owner_opt_in,operator,", rows[1]);
        Assert.StartsWith($"2,1,{Caller},opt_out,keyword,", rows[2]);
        Assert.EndsWith($",{stopSid},STOP", rows[2]);
    }

    /// <summary>One SQLite database holding Acme, shared by the tests that must leave it unchanged.</summary>
    public sealed class AcmeDatabase : IAsyncLifetime
    {
        public AppProcess App { get; private set; } = null!;
        public string BusinessList { get; private set; } = "";
        public string Rows { get; private set; } = "";

        public async Task InitializeAsync()
        {
            App = await AppProcess.CreateAsync(Db.Sqlite);
            var add = await App.RunCliAsync(AddAcme);
            Assert.True(add.ExitCode == 0, add.ToString());
            BusinessList = (await App.RunCliAsync("business", "list", "--json")).Stdout;
            Rows = await CountRowsAsync(App);
        }

        public static Task<string> CountRowsAsync(AppProcess app) => app.QueryAsync(async d =>
            $"businesses {await d.Businesses.CountAsync()}, numbers {await d.Numbers.CountAsync()}, " +
            $"consent {await d.ConsentEvents.CountAsync()}, outbound {await d.OutboundMessages.CountAsync()}, " +
            $"calls {await d.MissedCalls.CountAsync()}, contacts {await d.Contacts.CountAsync()}");

        public async Task DisposeAsync() => await App.DisposeAsync();
    }
}
