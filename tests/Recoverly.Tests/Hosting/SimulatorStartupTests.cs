using Microsoft.EntityFrameworkCore;
using Recoverly.Hosting;
using Recoverly.Tests.Infrastructure;
using Recoverly.Texts;

namespace Recoverly.Tests.Hosting;

/// <summary>The README's run command: the simulator's first text goes on the first try, on whatever address the app listens.</summary>
[Collection(AppProcessCollection.Name)]
public sealed class SimulatorStartupTests
{
    [Fact]
    public async Task The_demo_owners_first_text_goes_on_the_first_try_on_a_non_default_port()
    {
        await using var app = await AppProcess.CreateAsync(Db.Sqlite, settings: new Dictionary<string, string?>
        {
            ["Telephony__Provider"] = "Simulator",
            ["Recoverly__PublicBaseUrl"] = null,
            ["Twilio__AccountSid"] = null,
            ["Twilio__AuthToken"] = null,
            ["Twilio__ApiBaseUrl"] = null,
            ["Twilio__KeywordReplies"] = null,
        });
        await app.StartServerAsync();

        // The seeded demo asks the owner's phone for YES at start-up; the simulator carrier is this process's own web server.
        var request = await Eventually.MatchAsync(
            () => app.QueryAsync(d => d.OutboundMessages.AsNoTracking()
                .FirstOrDefaultAsync(m => m.Kind == OutboundKind.OwnerOptInRequest && m.To == DemoSeed.DemoOwnerPhone)),
            m => m?.ProviderSid is not null, "the demo owner's opt-in request was accepted by the simulator");
        Assert.Equal(1, request!.Attempts);
        Assert.DoesNotContain("localhost:5080", app.ServerStdout, StringComparison.Ordinal);
        Assert.Contains(app.BaseUrl, app.ServerStdout, StringComparison.Ordinal);
    }
}
