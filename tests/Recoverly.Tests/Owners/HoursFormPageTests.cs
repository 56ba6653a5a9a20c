using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Owners;

/// <summary>Onboarding step 1 and Settings take business hours through one form: same fields, same rules, same words.</summary>
public partial class HoursFormPageTests
{
    private const string Settings = "/app/settings";
    // Outside the simulator's number pool and the demo business (which has +15125550100).
    private const string Number = "+15125550300", Line = "+15125550301";

    private static List<KeyValuePair<string, string>> Hours(string opens, string closes, string[] days, string zone = "America/Chicago",
        bool alwaysOpen = false)
    {
        var fields = new List<KeyValuePair<string, string>> { new("TimeZone", zone), new("OpensAt", opens), new("ClosesAt", closes) };
        fields.AddRange(days.Select(d => KeyValuePair.Create("OpenDays", d)));
        if (alwaysOpen) fields.Add(new("AlwaysOpen", "true"));
        return fields;
    }

    private static List<KeyValuePair<string, string>> Details(List<KeyValuePair<string, string>> hours) =>
        [new("Name", "Night Owl Locksmiths"), new("BusinessLine", "(512) 555-0142"), .. hours];

    private static Task<TestApp> StartSimulatorAsync(Db db) =>
        TestApp.StartAsync(db, new Dictionary<string, string?> { ["Telephony:Provider"] = "Simulator" });

    private static async Task<HttpResponseMessage> OnboardingDetailsAsync(OwnerClient owner, List<KeyValuePair<string, string>> hours)
    {
        var start = await owner.PageAsync("/onboarding");
        return await owner.PostWithTokenAsync("/onboarding?handler=Details", Details(hours), OwnerClient.AntiforgeryToken(start));
    }

    private static async Task<HttpResponseMessage> SettingsHoursAsync(OwnerClient owner, List<KeyValuePair<string, string>> hours) =>
        await owner.Http.PostAsync($"{Settings}?handler=Hours",
            new FormUrlEncodedContent([.. hours, new("__RequestVerificationToken", OwnerClient.Token(await owner.PageAsync(Settings)))]));

    private static Task<Business> BusinessNamedAsync(TestApp app, string name) =>
        app.QueryAsync(db => db.Businesses.AsNoTracking().FirstAsync(b => b.Name == name));

    [Theory]
    [BothDatabases]
    public async Task Overnight_hours_from_6_pm_to_2_am_are_accepted_in_onboarding_and_in_settings(Db db)
    {
        await using var app = await StartSimulatorAsync(db);
        var overnight = Hours("18:00", "02:00", ["Fri", "Sat"]);

        // Onboarding: details, then the number the page offers; the business is created with the overnight hours.
        using var newOwner = await OwnerClient.SignUpAsync(app, "night@example.com");
        var step2 = await OnboardingDetailsAsync(newOwner, overnight);
        var html = await step2.Content.ReadAsStringAsync();
        Assert.True(step2.StatusCode == HttpStatusCode.OK, html);
        Assert.DoesNotContain("role=\"alert\"", html);
        var offered = OfferedNumber().Match(html).Groups[1].Value;
        var created = await newOwner.PostWithTokenAsync("/onboarding?handler=Number", [.. Details(overnight), new("Number", offered)],
            OwnerClient.AntiforgeryToken(html));
        Assert.Equal("/onboarding/greeting", created.Headers.Location?.OriginalString);
        var onboarded = await BusinessNamedAsync(app, "Night Owl Locksmiths");
        Assert.Equal((new TimeOnly(18, 0), new TimeOnly(2, 0), "Fri,Sat"), (onboarded.OpensAt, onboarded.ClosesAt, onboarded.OpenDays));

        // Settings: an existing business moves to the same overnight hours, and the page reads them back.
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app, name: "Day Shift Plumbing", number: Number, businessPhone: Line);
        using var _ = owner;
        var saved = await SettingsHoursAsync(owner, overnight);
        Assert.Equal("/app/settings?saved=hours#hours", saved.Headers.Location?.OriginalString);
        var settled = await BusinessNamedAsync(app, "Day Shift Plumbing");
        Assert.Equal((new TimeOnly(18, 0), new TimeOnly(2, 0), "Fri,Sat"), (settled.OpensAt, settled.ClosesAt, settled.OpenDays));
        var page = await owner.TextAsync(Settings);
        Assert.Contains("Fri, Sat 6:00 PM–2:00 AM", page);
        Assert.Contains("name=\"OpensAt\" value=\"18:00\"", page);
        Assert.Contains("name=\"ClosesAt\" value=\"02:00\"", page);
    }

    public static TheoryData<string, string, string[], string, string> BadHours => new()
    {
        { "09:00", "09:00", ["Mon"], "America/Chicago", HoursForm.SameTimes },
        { "", "17:00", ["Mon"], "America/Chicago", HoursForm.EnterTimes },
        { "08:00", "25:00", ["Mon"], "America/Chicago", HoursForm.EnterTimes },
        { "08:00", "17:00", [], "America/Chicago", HoursForm.TickDays },
        { "08:00", "17:00", ["Mon"], "Central Standard Time", HoursForm.PickTimeZone },
        { "08:00", "17:00", ["Mon"], "Mars/Olympus_Mons", HoursForm.PickTimeZone },
    };

    [Theory]
    [MemberData(nameof(BadHours))]
    public async Task Both_pages_refuse_the_same_bad_hours_with_the_same_words_and_save_nothing(string opens, string closes, string[] days,
        string zone, string problem)
    {
        await using var app = await StartSimulatorAsync(Db.Sqlite);
        var hours = Hours(opens, closes, days, zone);

        using var newOwner = await OwnerClient.SignUpAsync(app, "typo@example.com");
        var onboarding = await OnboardingDetailsAsync(newOwner, hours);
        var onboardingHtml = WebUtility.HtmlDecode(await onboarding.Content.ReadAsStringAsync());

        var (owner, before) = await OwnerClient.SignUpWithBusinessAsync(app, number: Number, businessPhone: Line);
        using var _ = owner;
        var settings = await SettingsHoursAsync(owner, hours);
        var settingsHtml = WebUtility.HtmlDecode(await settings.Content.ReadAsStringAsync());

        Assert.Contains(problem, onboardingHtml);
        Assert.Contains("role=\"alert\"", onboardingHtml);
        Assert.Contains("Your business", onboardingHtml); // still on step 1
        Assert.Equal(HttpStatusCode.UnprocessableEntity, settings.StatusCode);
        Assert.Contains(problem, settingsHtml);
        // What the owner typed stays in the fields to fix.
        Assert.Contains($"name=\"ClosesAt\" value=\"{closes}\"", settingsHtml);
        Assert.Equal(2, await app.QueryAsync(db => db.Businesses.CountAsync())); // the demo business and Acme only
        var after = await BusinessNamedAsync(app, before.Name);
        Assert.Equal((before.OpensAt, before.ClosesAt, before.OpenDays, before.TimeZone), (after.OpensAt, after.ClosesAt, after.OpenDays, after.TimeZone));
    }

    [Fact]
    public async Task Open_24_7_in_settings_clears_the_hours_and_every_call_gets_the_business_hours_text()
    {
        await using var app = await StartSimulatorAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app, number: Number, businessPhone: Line);
        using var _ = owner;
        Assert.Equal("/app/settings?saved=hours#hours", (await SettingsHoursAsync(owner, Hours("08:00", "17:00", ["Mon"]))).Headers.Location?.OriginalString);

        var saved = await SettingsHoursAsync(owner, Hours("08:00", "17:00", [], alwaysOpen: true));

        Assert.Equal("/app/settings?saved=hours#hours", saved.Headers.Location?.OriginalString);
        var business = await BusinessNamedAsync(app, "Acme Plumbing");
        Assert.Equal((null, null, "Mon,Tue,Wed,Thu,Fri,Sat,Sun"), (business.OpensAt, business.ClosesAt, business.OpenDays));
        Assert.Contains("your hours: none set", await owner.TextAsync(Settings));
        Assert.Matches("name=\"AlwaysOpen\" value=\"true\" checked", await owner.PageAsync(Settings));
    }

    [GeneratedRegex("name=\"Number\" value=\"(\\+\\d+)\"")]
    private static partial Regex OfferedNumber();
}
