using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.EntityFrameworkCore;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Onboarding;

/// <summary>
/// With Twilio, a sign-up picks one of the numbers the operator put in the pool (`numbers add`), and Recoverly points
/// that number's webhooks here. The rest of the operator's Twilio account is never listed, offered or rewired.
/// </summary>
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

    private static List<string> Offered(string html) => Radio().Matches(WebUtility.HtmlDecode(html)).Select(m => m.Groups[1].Value).ToList();

    [Theory]
    [BothDatabases]
    public async Task The_owner_picks_a_free_pool_number_and_only_its_webhooks_are_pointed_here(Db db)
    {
        await using var app = await TestApp.StartAsync(db);
        await app.AddBusinessAsync(number: "+15125550100", businessPhone: "+15125550101"); // already a Recoverly number
        app.TwilioNumbers.Own("+15125550100");
        var chosen = app.TwilioNumbers.Own("+15125550162");
        app.TwilioNumbers.Own("+15125550163");
        app.TwilioNumbers.Own("+15125550170"); // another product's number on the same account: not in the pool
        await app.AddPoolNumberAsync("+15125550100");
        await app.AddPoolNumberAsync("+15125550162");
        await app.AddPoolNumberAsync("+15125550163");
        using var owner = await OwnerClient.SignUpAsync(app, "twilio@example.com");

        var html = await NumberStepAsync(owner);
        Assert.Equal(["+15125550162", "+15125550163"], Offered(html)); // the pool's free numbers only
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
        // When the main URLs fail, Twilio asks these instead of playing its error recording to the caller.
        Assert.Equal("http://localhost/twilio/voice/fallback", form["VoiceFallbackUrl"]);
        Assert.Equal("POST", form["VoiceFallbackMethod"]);
        Assert.Equal("http://localhost/twilio/sms/fallback", form["SmsFallbackUrl"]);
        Assert.Equal("POST", form["SmsFallbackMethod"]);
        Assert.Equal("", form["VoiceApplicationSid"]);
        Assert.Equal(0, app.TwilioNumbers.Listings); // the account was never listed for the sign-up
        var numbers = await app.QueryAsync(d => d.Numbers.OrderBy(n => n.Id).Select(n => n.E164).ToListAsync());
        Assert.Equal(["+15125550100", "+15125550162"], numbers);
        var linked = await app.QueryAsync(d => d.OwnerAccounts.Where(a => a.Email == "twilio@example.com").Select(a => a.BusinessId).SingleAsync());
        Assert.Equal(linked, await app.QueryAsync(d => d.Numbers.Where(n => n.E164 == "+15125550162").Select(n => (long?)n.BusinessId).SingleAsync()));

        // The webhook now finds the business behind that number.
        await HttpAssert.OkXmlAsync(await app.MissedCallAsync("+15125550188", "+15125550162"));
        Assert.Equal(1, await app.QueryAsync(d => d.MissedCalls.CountAsync(c => c.BusinessId == linked)));
    }

    [Theory]
    [InlineData("+15125550100")] // in the pool, but another business's Recoverly number
    [InlineData("+15125550170")] // in the Twilio account, but not in the pool (another product's number)
    [InlineData("+15125550171")] // nowhere
    public async Task A_number_that_is_not_a_free_pool_number_is_refused_and_nothing_changes(string number)
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        await app.AddBusinessAsync(number: "+15125550100", businessPhone: "+15125550101");
        app.TwilioNumbers.Own("+15125550100");
        app.TwilioNumbers.Own("+15125550160");
        var other = app.TwilioNumbers.Own("+15125550170");
        await app.AddPoolNumberAsync("+15125550100");
        await app.AddPoolNumberAsync("+15125550160");
        using var owner = await OwnerClient.SignUpAsync(app, "picky@example.com");
        var html = await NumberStepAsync(owner);

        var refused = await owner.PostWithTokenAsync("/onboarding?handler=Number", [.. Details, new("Number", number)],
            OwnerClient.AntiforgeryToken(html));

        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Contains("Pick another", WebUtility.HtmlDecode(await refused.Content.ReadAsStringAsync()));
        Assert.Empty(app.TwilioNumbers.Updates);
        Assert.Empty(other.Settings); // the other product's webhooks are untouched
        Assert.Equal(1, await app.QueryAsync(d => d.Businesses.CountAsync()));
        Assert.Null(await app.QueryAsync(d => d.OwnerAccounts.Where(a => a.Email == "picky@example.com").Select(a => a.BusinessId).SingleAsync()));
    }

    [Fact]
    public async Task Preparing_a_number_outside_the_pool_is_refused_even_when_asked_directly()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var other = app.TwilioNumbers.Own("+15125550170");

        var problem = await app.WithScopeAsync(sp => sp.GetRequiredService<Recoverly.Telephony.INumberProvisioning>()
            .PrepareAsync("+15125550170", CancellationToken.None));

        Assert.NotNull(problem);
        Assert.Empty(app.TwilioNumbers.Updates);
        Assert.Empty(other.Settings);
    }

    [Fact]
    public async Task An_empty_pool_is_explained_and_the_account_is_not_listed()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        app.TwilioNumbers.Own("+15125550170"); // owned, never pooled
        using var owner = await OwnerClient.SignUpAsync(app, "empty@example.com");
        var html = WebUtility.HtmlDecode(await NumberStepAsync(owner));
        Assert.Contains("No Recoverly number is free right now", html);
        Assert.DoesNotContain("type=\"radio\"", html);
        Assert.DoesNotContain("555-0170", html);
        Assert.Equal(0, app.TwilioNumbers.Listings);
    }

    [Fact]
    public async Task An_owner_whose_email_is_unconfirmed_sees_no_number_and_cannot_take_one()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        app.TwilioNumbers.Own("+15125550160");
        await app.AddPoolNumberAsync("+15125550160");
        using var owner = await OwnerClient.SignInAsync(app, null, email: "unconfirmed@example.com", emailVerified: false);

        var html = WebUtility.HtmlDecode(await NumberStepAsync(owner));
        Assert.Contains("Confirm your email first", html);
        Assert.Empty(Offered(html));
        var taken = await owner.PostWithTokenAsync("/onboarding?handler=Number", [.. Details, new("Number", "+15125550160")],
            OwnerClient.AntiforgeryToken(html));

        Assert.Contains("Confirm your email first", WebUtility.HtmlDecode(await taken.Content.ReadAsStringAsync()));
        Assert.Empty(app.TwilioNumbers.Updates);
        Assert.Equal(0, await app.QueryAsync(d => d.Businesses.CountAsync()));
    }

    [Fact]
    public async Task The_number_step_is_rate_limited_per_account()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        app.TwilioNumbers.Own("+15125550160");
        await app.AddPoolNumberAsync("+15125550160");
        using var busy = await OwnerClient.SignUpAsync(app, "busy@example.com");
        using var calm = await OwnerClient.SignUpAsync(app, "calm@example.com");
        var token = OwnerClient.AntiforgeryToken(await busy.PageAsync("/onboarding"));

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 11; i++)
            answers.Add((await busy.PostWithTokenAsync("/onboarding?handler=Number", [.. Details, new("Number", "+15125550199")], token)).StatusCode);

        Assert.All(answers.Take(10), a => Assert.Equal(HttpStatusCode.OK, a));
        Assert.Equal(HttpStatusCode.TooManyRequests, answers[10]);
        Assert.Equal(HttpStatusCode.OK, (await busy.Http.GetAsync("/onboarding")).StatusCode); // reading the page is not limited
        Assert.Contains("+15125550160", Offered(await NumberStepAsync(calm))); // another account is not held back
        Assert.Empty(app.TwilioNumbers.Updates);
    }

    [GeneratedRegex("type=\"radio\" name=\"Number\" value=\"(\\+\\d+)\"")]
    private static partial Regex Radio();
}
