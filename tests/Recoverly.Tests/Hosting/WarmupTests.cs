using Microsoft.EntityFrameworkCore;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Hosting;

public class WarmupTests
{
    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Start_up_warms_the_webhook_path_before_listening_and_writes_nothing(Db db)
    {
        await using var app = await TestApp.StartAsync(db);

        Assert.Contains(app.Logs.Lines, l => l.Contains("Hot paths warmed", StringComparison.Ordinal));
        Assert.Equal(0, await app.QueryAsync(d => d.MissedCalls.CountAsync()));
        Assert.Equal(0, await app.QueryAsync(d => d.Contacts.CountAsync()));
        Assert.Equal(0, await app.QueryAsync(d => d.OutboundMessages.CountAsync()));
        Assert.Equal(0, await app.QueryAsync(d => d.ConsentEvents.CountAsync()));
    }
}
