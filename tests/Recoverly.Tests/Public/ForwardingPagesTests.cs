using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Recoverly.Businesses;
using Recoverly.Telephony;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Public;

/// <summary>
/// The forwarding guides as owners read them: each carrier's public page, the onboarding step with the
/// owner's own number, and the undo shown before cancelling and on account deletion — all from the same data.
/// </summary>
public class ForwardingPagesTests
{
    private const string Number = "+15125550100";

    private static async Task<string> PublicTextAsync(TestApp app, string path)
    {
        var response = await app.Http.GetAsync(path);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} answered {(int)response.StatusCode}");
        return WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
    }

    /// <summary>The words of a page without its tags, as a reader sees a sentence that spans markup.</summary>
    private static string Words(string html) => Regex.Replace(Regex.Replace(html, "<[^>]+>", ""), @"\s+", " ");

    [Fact]
    public async Task Every_carrier_page_shows_its_steps_its_undo_and_the_warnings_it_needs()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);

        foreach (var system in ForwardingGuide.Systems)
        {
            var page = await PublicTextAsync(app, $"/forwarding/{system.Key}");
            var guide = ForwardingGuide.For(system.Key, null)!;

            Assert.Contains($"<h1>Call forwarding: {system.Name}</h1>", page);
            foreach (var code in guide.Setup.Concat(guide.Before).Concat(guide.Check)) Assert.Contains(code.Code, page);
            foreach (var step in guide.Steps) Assert.Contains(step, page);
            Assert.Contains("Undo it — and keep your voicemail", page);
            foreach (var undo in guide.Undo)
            {
                Assert.Contains(undo.Text, page);
                if (undo.Code is { } code) Assert.Contains(code, page);
            }
            Assert.DoesNotContain("as before", page, StringComparison.OrdinalIgnoreCase);
            if (system.Kind != ForwardingKind.PhoneSystem) Assert.Contains(ForwardingGuide.EveryCallWarning, page);
            if (system.Kind == ForwardingKind.Mobile) Assert.Contains(ForwardingGuide.IPhoneSwitchWarning, page);
            if (guide.RingTime is { } ringTime) Assert.Contains(ringTime, page);
            foreach (var cost in guide.Costs) Assert.Contains(cost, page);
            if (guide.Unconfirmed is { } unconfirmed)
            {
                Assert.Contains("Check with your provider.", page);
                Assert.Contains(unconfirmed, page);
                Assert.Contains("<a href=\"#test\">", page);
            }
            Assert.Contains("id=\"test\"", page);
        }
    }

    [Fact]
    public async Task The_guide_index_groups_every_system_and_says_which_brands_use_verizons_codes()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);

        var index = await PublicTextAsync(app, "/forwarding");

        foreach (var (title, systems) in ForwardingGuide.Groups)
        {
            Assert.Contains($"<h2>{title}</h2>", index);
            foreach (var system in systems) Assert.Contains($"<a href=\"/forwarding/{system.Key}\">{system.Name}</a>", index);
        }
        Assert.Contains(ForwardingGuide.VerizonBrandsNote, index);
        Assert.Contains(ForwardingGuide.EveryCallWarning, index);
        Assert.Contains(ForwardingGuide.IPhoneSwitchWarning, index);
    }

    [Fact]
    public async Task Onboarding_and_the_public_guide_show_the_same_steps_with_and_without_the_owners_number()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app, number: Number, businessPhone: "+15125550142");

        foreach (var key in new[] { "tmobile", "verizon", "koodo", "landline", "grasshopper", "googlevoice" })
        {
            var mine = ForwardingGuide.For(key, Number)!;
            var anyone = ForwardingGuide.For(key, null)!;
            var onboarding = await owner.TextAsync($"/onboarding/forwarding?carrier={key}");
            var publicPage = await PublicTextAsync(app, $"/forwarding/{key}");

            // One source: the same steps, only the number differs.
            Assert.Equal(mine.Setup.Select(c => c.What), anyone.Setup.Select(c => c.What));
            Assert.Equal(mine.Undo.Select(u => u.Effect), anyone.Undo.Select(u => u.Effect));
            foreach (var code in mine.Setup) Assert.Contains(code.Code, onboarding);
            foreach (var code in anyone.Setup) Assert.Contains(code.Code, publicPage);
            foreach (var text in mine.Undo.Select(u => u.Text).Concat(mine.Notes).Concat(mine.Steps)) Assert.Contains(text, onboarding);
            foreach (var text in anyone.Undo.Select(u => u.Text).Concat(anyone.Notes).Concat(anyone.Steps)) Assert.Contains(text, publicPage);
            Assert.Contains("href=\"/onboarding/verify\"", onboarding); // the test call
        }
        Assert.DoesNotContain("Your Recoverly number is in area code", await owner.TextAsync("/onboarding/forwarding?carrier=tmobile"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Onboarding_points_out_a_recoverly_number_outside_the_business_lines_area_code()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app, number: Number, businessPhone: "+17375550142");

        var page = await owner.TextAsync("/onboarding/forwarding?carrier=tmobile");

        Assert.Contains(ForwardingGuide.AreaCodeNote(Number, "+17375550142")!, page);
    }

    [Fact]
    public async Task Picking_google_voice_switches_the_business_to_call_through_and_the_test_call_to_the_recoverly_number()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, business) = await OwnerClient.SignUpWithBusinessAsync(app, number: Number, businessPhone: "+15125550142");

        var page = await owner.TextAsync("/onboarding/forwarding?carrier=googlevoice");
        Assert.Contains("Use call-through mode — next: test it", page);
        var picked = await owner.PostAsync("/onboarding/forwarding", new() { ["Carrier"] = "googlevoice" }, tokenFrom: "/onboarding/forwarding?carrier=googlevoice");
        Assert.Equal("/onboarding/verify", picked.Headers.Location?.OriginalString);

        // Call-through waits for the line to be verified: until then the business forwards (every call is a missed call).
        var saved = await app.QueryAsync(d => d.Businesses.AsNoTracking().SingleAsync(b => b.Id == business.Id));
        Assert.Equal((CallMode.Forwarding, "googlevoice"), (saved.Mode, saved.ForwardingCarrier));
        Assert.Contains("Call-through: verify your line", Words(await owner.TextAsync("/onboarding/verify")));
        var called = await owner.PostAsync("/onboarding/verify/CallMe", new(), tokenFrom: "/onboarding/verify");
        Assert.Equal(HttpStatusCode.Redirect, called.StatusCode);
        var entered = await owner.PostAsync("/onboarding/verify/LineCode", new() { ["code"] = app.Twilio.CodeSaidTo("+15125550142") }, tokenFrom: "/onboarding/verify");
        Assert.Equal("/onboarding/verify", entered.Headers.Location?.OriginalString);
        Assert.Equal(CallMode.CallThrough, (await app.QueryAsync(d => d.Businesses.AsNoTracking().SingleAsync(b => b.Id == business.Id))).Mode);
        Assert.Contains("Call your Recoverly number (512) 555-0100 from another phone", Words(await owner.TextAsync("/onboarding/verify")));

        // Back to a carrier that forwards: the business forwards again.
        await owner.PostAsync("/onboarding/forwarding", new() { ["Carrier"] = "att" }, tokenFrom: "/onboarding/forwarding?carrier=att");
        Assert.Equal(CallMode.Forwarding, (await app.QueryAsync(d => d.Businesses.AsNoTracking().SingleAsync(b => b.Id == business.Id))).Mode);
        Assert.Contains("Call your business line (512) 555-0142 from another phone", Words(await owner.TextAsync("/onboarding/verify")));
    }

    [Fact]
    public async Task An_unknown_carrier_is_refused_and_changes_nothing()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, business) = await OwnerClient.SignUpWithBusinessAsync(app);

        var response = await owner.PostAsync("/onboarding/forwarding", new() { ["Carrier"] = "carrier-pigeon" }, tokenFrom: "/onboarding/forwarding");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Pick your phone carrier or phone system first.", WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()));
        var saved = await app.QueryAsync(d => d.Businesses.AsNoTracking().SingleAsync(b => b.Id == business.Id));
        Assert.Equal((CallMode.Forwarding, (string?)null), (saved.Mode, saved.ForwardingCarrier));
        Assert.Equal(HttpStatusCode.NotFound, (await app.Http.GetAsync("/forwarding/carrier-pigeon")).StatusCode);
    }

    [Fact]
    public async Task Busy_and_declined_calls_are_described_the_same_on_the_guide_and_the_verify_page()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);

        var guide = await owner.TextAsync("/onboarding/forwarding?carrier=tmobile");
        var verify = await owner.TextAsync("/onboarding/verify");

        Assert.Contains(ForwardingGuide.DeclinedCallNote, guide);
        Assert.Contains(ForwardingGuide.DeclinedCallNote, verify);
        Assert.Contains("Busy: forwards calls that come in while you're on another call", guide);
        Assert.DoesNotContain("or decline", guide, StringComparison.Ordinal);
        Assert.DoesNotContain("declining the call may send it to voicemail instead", verify, StringComparison.Ordinal);
        Assert.Contains($"about {ForwardingGuide.RingSeconds} seconds", verify);
    }

    [Theory]
    [InlineData("tmobile", "**004*[your voicemail number]#")]
    [InlineData("verizon", "*73")]
    [InlineData("ringcentral", "set Missed calls back to Send to voicemail")]
    [InlineData("googlevoice", "Nothing on your line was changed")]
    public async Task Deleting_the_account_shows_the_undo_for_the_owners_carrier(string carrier, string expected)
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, business) = await OwnerClient.SignUpWithBusinessAsync(app);
        await app.QueryAsync(d => d.Businesses.Where(b => b.Id == business.Id).ExecuteUpdateAsync(s => s.SetProperty(b => b.ForwardingCarrier, carrier)));

        var page = await owner.TextAsync("/app/data");

        Assert.Contains("Undo your call forwarding — and keep your voicemail", page);
        Assert.Contains(expected, page);
        foreach (var step in ForwardingGuide.For(carrier, Number)!.Undo) Assert.Contains(step.Text, page);
        Assert.Contains($"href=\"/forwarding/{carrier}#undo\"", page);
        Assert.Contains("href=\"#undo-forwarding\"", page);
        Assert.DoesNotContain("as before", page, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Without_a_carrier_the_delete_page_points_at_every_guides_undo()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);
        var (owner, _) = await OwnerClient.SignUpWithBusinessAsync(app);

        var page = await owner.TextAsync("/app/data");

        Assert.Contains("find yours in the forwarding guides", page);
        Assert.Contains("href=\"/forwarding\"", page);
    }

    [Fact]
    public async Task The_cancel_button_comes_with_the_same_undo()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, new Dictionary<string, string?>
        {
            ["Billing:Provider"] = "Stripe", ["Stripe:SecretKey"] = "sk_test_recoverly", ["Stripe:WebhookSecret"] = "whsec_test", ["Stripe:PriceId"] = "price_29_monthly",
        });
        var (owner, business) = await OwnerClient.SignUpWithBusinessAsync(app);
        await app.QueryAsync(d => d.Businesses.Where(b => b.Id == business.Id).ExecuteUpdateAsync(s => s
            .SetProperty(b => b.Plan, PlanState.Active).SetProperty(b => b.StripeCustomerId, "cus_1").SetProperty(b => b.ForwardingCarrier, "att")));

        var page = await owner.TextAsync("/app/billing");

        Assert.Contains("Manage payment, invoices or cancel", page);
        Assert.Contains("Undo your call forwarding — and keep your voicemail", page);
        foreach (var step in ForwardingGuide.For("att", Number)!.Undo) Assert.Contains(step.Text, page);
    }
}
