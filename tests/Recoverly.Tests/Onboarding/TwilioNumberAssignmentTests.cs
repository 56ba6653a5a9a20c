using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Onboarding;

/// <summary>With Twilio, the owner picks one of the account's own numbers and Recoverly points its webhooks here.</summary>
public partial class TwilioNumberAssignmentTests
{
    private static readonly List<KeyValuePair<string, string>> Details =
    [
        new("Name", "Hill Country Electric"), new("BusinessLine", "(512) 555-0142"), new("TimeZone", "America/Chicago"),
        new("OpensAt", "08:00"), new("ClosesAt", "17:00"), new("OpenDays", "Mon"), new("OpenDays", "Fri"),
    ];

    private static async Task<string> NumberStepAsync(OwnerClient owner)
    {
        var start = await owner.PageAsync("/onboarding");
        var step2 = await owner.PostWithTokenAsync("/onboarding?handler=Details", Details, OwnerClient.AntiforgeryToken(start));
        Assert.Equal(HttpStatusCode.OK, step2.StatusCode);
        return await step2.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task The_owner_picks_a_free_owned_number_and_its_voice_status_and_sms_webhooks_point_here()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        await app.AddBusinessAsync(number: "+15125550100", businessPhone: "+15125550101"); // already a Recoverly number
        app.TwilioNumbers.Own("+15125550100");
        app.TwilioNumbers.Own("+15125550160");
        app.TwilioNumbers.Own("+15125550161", sms: false); // can't text: not offered
        var chosen = app.TwilioNumbers.Own("+15125550162");
        app.TwilioNumbers.Own("+15125550163");
        using var owner = await OwnerClient.SignUpAsync(app, "twilio@example.com");

        var html = await NumberStepAsync(owner);
        var offered = Radio().Matches(WebUtility.HtmlDecode(html)).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["+15125550160", "+15125550162", "+15125550163"], offered); // all pages read; taken and SMS-less left out
        Assert.Empty(app.TwilioNumbers.Updates);

        var created = await owner.PostWithTokenAsync("/onboarding?handler=Number", [.. Details, new("Number", "+15125550162")],
            OwnerClient.AntiforgeryToken(html));

        Assert.Equal("/onboarding/greeting", created.Headers.Location?.OriginalString);
        var (sid, form) = Assert.Single(app.TwilioNumbers.Updates);
        Assert.Equal(chosen.Sid, sid);
        Assert.Equal("http://localhost/twilio/voice", form["VoiceUrl"]);
        Assert.Equal("POST", form["VoiceMethod"]);
        Assert.Equal("http://localhost/twilio/voice/status", form["StatusCallback"]);
        Assert.Equal("http://localhost/twilio/sms", form["SmsUrl"]);
        Assert.Equal("POST", form["SmsMethod"]);
        Assert.Equal("", form["VoiceApplicationSid"]);
        var numbers = await app.QueryAsync(db => db.Numbers.OrderBy(n => n.Id).Select(n => n.E164).ToListAsync());
        Assert.Equal(["+15125550100", "+15125550162"], numbers);
        var linked = await app.QueryAsync(db => db.OwnerAccounts.Where(a => a.Email == "twilio@example.com").Select(a => a.BusinessId).SingleAsync());
        Assert.Equal(linked, await app.QueryAsync(db => db.Numbers.Where(n => n.E164 == "+15125550162").Select(n => (long?)n.BusinessId).SingleAsync()));

        // The webhook now finds the business behind that number.
        await HttpAssert.OkXmlAsync(await app.MissedCallAsync("+15125550188", "+15125550162"));
        Assert.Equal(1, await app.QueryAsync(db => db.MissedCalls.CountAsync(c => c.BusinessId == linked)));
    }

    [Theory]
    [InlineData("+15125550100")] // owned, but another business's Recoverly number
    [InlineData("+15125550170")] // not in the Twilio account
    [InlineData("+15125550161")] // owned, but no SMS
    public async Task A_number_that_is_not_free_in_the_account_is_refused_and_nothing_changes(string number)
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        await app.AddBusinessAsync(number: "+15125550100", businessPhone: "+15125550101");
        app.TwilioNumbers.Own("+15125550100");
        app.TwilioNumbers.Own("+15125550160");
        app.TwilioNumbers.Own("+15125550161", sms: false);
        using var owner = await OwnerClient.SignUpAsync(app, "picky@example.com");
        var html = await NumberStepAsync(owner);

        var refused = await owner.PostWithTokenAsync("/onboarding?handler=Number", [.. Details, new("Number", number)],
            OwnerClient.AntiforgeryToken(html));

        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Contains("Pick another", WebUtility.HtmlDecode(await refused.Content.ReadAsStringAsync()));
        Assert.Empty(app.TwilioNumbers.Updates);
        Assert.Equal(1, await app.QueryAsync(db => db.Businesses.CountAsync()));
        Assert.Null(await app.QueryAsync(db => db.OwnerAccounts.Where(a => a.Email == "picky@example.com").Select(a => a.BusinessId).SingleAsync()));
    }

    [Fact]
    public async Task An_account_without_free_numbers_is_told_what_to_do()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        using var owner = await OwnerClient.SignUpAsync(app, "empty@example.com");
        var html = WebUtility.HtmlDecode(await NumberStepAsync(owner));
        Assert.Contains("Your Twilio account has no free number with voice and SMS", html);
        Assert.DoesNotContain("type=\"radio\"", html);
    }

    [GeneratedRegex("type=\"radio\" name=\"Number\" value=\"(\\+\\d+)\"")]
    private static partial Regex Radio();
}
