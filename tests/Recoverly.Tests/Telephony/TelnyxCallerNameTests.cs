using Microsoft.EntityFrameworkCore;
using Recoverly.Owners;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Telephony;

/// <summary>Telnyx's TeXML voice request names the caller in <c>CallerId</c>; the owner sees it as with Twilio's <c>CallerName</c>.</summary>
public class TelnyxCallerNameTests
{
    private const string Caller = "+15125550142";
    private const string Owner = "+15125550199";

    [Theory]
    [BothDatabases]
    public async Task The_Telnyx_caller_name_reaches_the_owner_and_never_the_caller(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Provider.Telnyx);
        var business = await app.AddBusinessWithConfirmedOwnerAsync(Owner);

        await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, extra: new Dictionary<string, string> { ["CallerId"] = "JANE  DOE" }));
        await app.DispatchAsync();

        Assert.Equal("JANE DOE", await app.QueryAsync(d => d.MissedCalls.Select(c => c.CallerName).SingleAsync()));
        Assert.Contains(app.Telnyx.SentTo(Owner), t => t.Body.Contains("(512) 555-0142 (JANE DOE)", StringComparison.Ordinal));
        Assert.DoesNotContain("JANE", Assert.Single(app.Telnyx.SentTo(Caller)).Body);
        using var owner = await OwnerClient.SignInAsync(app, business.Id);
        Assert.Contains("(512) 555-0142 (JANE DOE)", await owner.TextAsync("/app"));
    }

    [Theory]
    [BothDatabases]
    public async Task A_Telnyx_caller_id_that_is_only_the_number_is_no_name(Db db)
    {
        await using var app = await TestApp.StartAsync(db, Provider.Telnyx);
        await app.AddBusinessAsync();

        await HttpAssert.OkXmlAsync(await app.MissedCallAsync(Caller, extra: new Dictionary<string, string> { ["CallerId"] = Caller }));

        Assert.Null(await app.QueryAsync(d => d.MissedCalls.Select(c => c.CallerName).SingleAsync()));
    }
}
