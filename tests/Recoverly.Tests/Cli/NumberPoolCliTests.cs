using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Cli;

/// <summary>`numbers add|list|remove`: the operator marks which Twilio numbers sign-ups may take.</summary>
[Collection(AppProcessCollection.Name)]
public class NumberPoolCliTests
{
    private static void AssertRefused(CliResult result, string named)
    {
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal("", result.Stdout);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"expected one line on standard error:\n{result}");
        Assert.Contains(named, lines[0]);
    }

    [Theory]
    [BothDatabases]
    public async Task Numbers_add_checks_the_number_with_Twilio_and_list_and_remove_manage_the_pool(Db db)
    {
        await using var sink = await TwilioSink.StartAsync();
        var owned = sink.Numbers.Own("+15125550160");
        sink.Numbers.Own("+15125550161", sms: false);
        await using var app = await AppProcess.CreateAsync(db, sink);
        Assert.Equal(0, (await app.RunCliAsync("migrate")).ExitCode);

        var added = await app.RunCliAsync("numbers", "add", "+1 512 555 0160", "--note", "Austin pool");
        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Contains("Added +15125550160 to the pool", added.Stdout);
        AssertRefused(await app.RunCliAsync("numbers", "add", "+15125550170"), "+15125550170"); // not in the Twilio account
        AssertRefused(await app.RunCliAsync("numbers", "add", "+15125550161"), "calls and texts");
        AssertRefused(await app.RunCliAsync("numbers", "add", "+15125550160"), "already in the pool");
        AssertRefused(await app.RunCliAsync("numbers", "add", "call-me"), "call-me");
        Assert.Equal(owned.Sid, await app.QueryAsync(d => d.PoolNumbers.Select(p => p.ProviderSid).SingleAsync()));

        await app.AddBusinessAsync(number: "+15125550160", businessPhone: "+15125550101"); // a sign-up took it
        var list = await app.RunCliAsync("numbers", "list", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        using (var json = JsonDocument.Parse(list.Stdout))
        {
            var entry = Assert.Single(json.RootElement.EnumerateArray());
            Assert.Equal(["number", "businessId", "note", "addedAt"], entry.EnumerateObject().Select(p => p.Name));
            Assert.Equal("+15125550160", entry.GetProperty("number").GetString());
            Assert.Equal(1, entry.GetProperty("businessId").GetInt64());
            Assert.Equal("Austin pool", entry.GetProperty("note").GetString());
        }

        var removed = await app.RunCliAsync("numbers", "remove", "+15125550160");
        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.Contains("business 1 keeps it", removed.Stdout);
        Assert.Equal("[]", (await app.RunCliAsync("numbers", "list", "--json")).Stdout.Trim());
        AssertRefused(await app.RunCliAsync("numbers", "remove", "+15125550160"), "not in the pool");

        // The operator's account was only asked about single numbers, and nothing was rewired.
        Assert.Equal(0, sink.Numbers.Listings);
        Assert.Empty(sink.Numbers.Updates);
    }

    [Fact]
    public async Task Numbers_add_in_simulator_mode_is_refused_and_writes_nothing()
    {
        await using var app = await AppProcess.CreateAsync(Db.Sqlite, settings: new Dictionary<string, string?> { ["Telephony__Provider"] = "Simulator" });
        Assert.Equal(0, (await app.RunCliAsync("migrate")).ExitCode);

        AssertRefused(await app.RunCliAsync("numbers", "add", "+15125550160"), "Simulator");
        Assert.Equal(0, await app.QueryAsync(d => d.PoolNumbers.CountAsync()));
    }
}
