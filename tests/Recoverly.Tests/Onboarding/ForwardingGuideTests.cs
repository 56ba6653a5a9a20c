using System.Text.RegularExpressions;
using Recoverly.Telephony;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Onboarding;

/// <summary>The forwarding guides' data: codes in the carriers' documented form, and undo steps that never cost an owner their voicemail.</summary>
public partial class ForwardingGuideTests
{
    private const string Number = "+15125550100";

    public static TheoryData<string> AllSystems() => [.. ForwardingGuide.Systems.Select(s => s.Key)];

    /// <summary>Codes that switch a forward off (GSM erase, Koodo/TELUS deactivation, star-code cancels) — none of them brings voicemail back.</summary>
    [GeneratedRegex(@"^(##\d+#|#\d+#|\*73|\*93|\*91|\*88|73#)")]
    private static partial Regex CancelCode();

    private static IEnumerable<string> AllText(ForwardingInstructions g) =>
        g.Setup.Concat(g.Before).Concat(g.Check).Concat(g.AllAtOnce is { } a ? [a] : []).Select(c => c.What)
            .Concat(g.Undo.Select(u => u.Text)).Concat(g.Steps).Concat(g.Notes).Concat(g.Costs)
            .Concat([g.Unconfirmed ?? "", g.RingTime ?? "", g.ForwardEverything?.What ?? "", g.UndoForwardEverything?.What ?? ""]);

    [Theory]
    [MemberData(nameof(AllSystems))]
    public void Every_system_has_an_undo_that_gets_voicemail_back_and_no_cancel_code_promises_it(string key)
    {
        var guide = ForwardingGuide.For(key, Number)!;

        Assert.NotEmpty(guide.Undo);
        // A way back to voicemail: re-pointing the forwards, asking the provider, or nothing was changed in the first place.
        Assert.Contains(guide.Undo, u => u.Effect is UndoEffect.RestoresVoicemail or UndoEffect.AskProvider or UndoEffect.NothingChanged);
        foreach (var step in guide.Undo)
        {
            Assert.DoesNotContain("as before", step.Text, StringComparison.OrdinalIgnoreCase);
            if (step.Code is { } code && CancelCode().IsMatch(code))
                Assert.True(step.Effect == UndoEffect.CancelsForwarding, $"{key}: {code} cancels forwarding but is marked {step.Effect}");
            if (step.Effect == UndoEffect.CancelsForwarding)
                Assert.DoesNotMatch(@"(?i)voicemail (works|answers) again|brings? (back )?(your )?voicemail", step.Text);
        }
        // Cancelling alone leaves no voicemail, so a restore (or asking the provider) always follows it in the same undo.
        if (guide.Undo.Any(u => u.Effect == UndoEffect.CancelsForwarding))
            Assert.Contains(guide.Undo, u => u.Effect is UndoEffect.RestoresVoicemail or UndoEffect.AskProvider);
        // Anything that changed the line ends with a test call that shows voicemail answers again.
        if (guide.Method != ForwardingMethod.CallThrough) Assert.Contains(guide.Undo, u => u.Effect == UndoEffect.TestCall);
    }

    [Fact]
    public void No_guide_text_promises_voicemail_as_before()
    {
        foreach (var system in ForwardingGuide.Systems)
            foreach (var text in AllText(ForwardingGuide.For(system.Key, Number)!))
                Assert.DoesNotContain("as before", text, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("att", "AT&T (611 from your phone)")]
    [InlineData("tmobile", "T-Mobile (611 from your phone)")]
    [InlineData("uscellular", "UScellular (611 from your phone)")]
    [InlineData("gsm", "your carrier's customer care")]
    public void Us_gsm_networks_dial_1_and_ten_digits_with_a_ring_time_and_undo_to_the_voicemail_number(string carrier, string careLine)
    {
        var guide = ForwardingGuide.For(carrier, Number)!;

        Assert.Equal(["**61*15125550100**20#", "**67*15125550100#", "**62*15125550100#"], guide.Setup.Select(c => c.Code));
        Assert.Equal("**004*15125550100**20#", guide.AllAtOnce?.Code);
        Assert.Equal(["*#61#", "*#67#", "*#62#"], guide.Check.Select(c => c.Code));
        Assert.Equal("**21*15125550100#", guide.ForwardEverything?.Code);
        Assert.DoesNotContain(guide.Setup, c => c.Code.Contains('+', StringComparison.Ordinal));
        // Write the voicemail number down first; undo re-registers it, and ##004# is only a warning.
        Assert.Equal("*#61#", Assert.Single(guide.Before).Code);
        Assert.Contains("Write it down", guide.Before[0].What, StringComparison.Ordinal);
        Assert.Equal((UndoEffect.RestoresVoicemail, "**004*[your voicemail number]#"), (guide.Undo[0].Effect, guide.Undo[0].Code));
        Assert.Contains(guide.Undo, u => u.Effect == UndoEffect.AskProvider && u.Text.Contains(careLine, StringComparison.Ordinal));
        Assert.Equal(UndoEffect.CancelsForwarding, guide.Undo.Single(u => u.Code == "##004#").Effect);
        Assert.Equal(ForwardingGuide.RingTimeReason, guide.RingTime);
    }

    [Fact]
    public void The_no_reply_timer_is_one_the_network_accepts_and_the_guide_says_why()
    {
        Assert.InRange(ForwardingGuide.RingSeconds, 5, 30);
        Assert.Equal(0, ForwardingGuide.RingSeconds % 5);
        Assert.Contains($"Why {ForwardingGuide.RingSeconds} seconds", ForwardingGuide.RingTimeReason, StringComparison.Ordinal);
        Assert.Contains("voicemail usually answers after 20 to 30 seconds", ForwardingGuide.RingTimeReason, StringComparison.Ordinal);
        Assert.Contains("5 to 30 seconds", ForwardingGuide.RingTimeReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("verizon", null)]
    [InlineData("visible", "Verizon")]
    [InlineData("xfinitymobile", "Verizon")]
    [InlineData("spectrummobile", "Verizon")]
    [InlineData("verizonprepaid", "Verizon")]
    public void Verizon_and_the_brands_on_its_network_use_star_71_and_star_73_not_gsm_codes(string key, string? network)
    {
        var guide = ForwardingGuide.For(key, Number)!;

        Assert.Equal(network, guide.System.Network);
        Assert.Equal(["*715125550100"], guide.Setup.Select(c => c.Code));
        Assert.Equal("*725125550100", guide.ForwardEverything?.Code);
        Assert.Equal((UndoEffect.CancelsForwarding, "*73"), (guide.Undo[0].Effect, guide.Undo[0].Code));
        Assert.Empty(guide.Before);
        Assert.DoesNotContain(AllText(guide), t => t.Contains("only describe *72", StringComparison.Ordinal));
        Assert.DoesNotContain(guide.Setup.Concat(guide.Check), c => c.Code.StartsWith("**", StringComparison.Ordinal));
        if (network is not null)
        {
            Assert.Contains(guide.Notes, n => n.Contains("uses Verizon's codes, not the GSM codes", StringComparison.Ordinal));
            Assert.Contains("check with", guide.Unconfirmed, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_picker_note_names_every_brand_on_verizons_network()
    {
        foreach (var brand in new[] { "Visible", "Xfinity Mobile", "Spectrum Mobile", "Straight Talk" })
            Assert.Contains(brand, ForwardingGuide.VerizonBrandsNote, StringComparison.Ordinal);
        Assert.Contains("*71 and *73", ForwardingGuide.VerizonBrandsNote, StringComparison.Ordinal);
        Assert.All(ForwardingGuide.Systems.Where(s => s.Network == "Verizon"), s => Assert.Contains("Verizon", s.Name, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("googlevoice")]
    [InlineData("grasshoppersolo")]
    public void Google_Voice_and_Grasshopper_True_Solo_go_straight_to_call_through(string key)
    {
        var guide = ForwardingGuide.For(key, Number)!;

        Assert.Equal(ForwardingMethod.CallThrough, guide.Method);
        Assert.Empty(guide.Setup);
        Assert.Contains(guide.Steps, s => s.Contains("use call-through mode", StringComparison.Ordinal));
        Assert.Contains(guide.Steps, s => s.Contains("customers call (512) 555-0100", StringComparison.Ordinal));
        Assert.Equal(UndoEffect.NothingChanged, Assert.Single(guide.Undo).Effect);
    }

    [Fact]
    public void Google_Voice_does_not_send_owners_looking_for_a_setting()
    {
        var guide = ForwardingGuide.For("googlevoice", Number)!;

        Assert.Contains("don't go looking for a setting", guide.Steps[0], StringComparison.Ordinal);
        Assert.DoesNotContain(guide.Steps, s => s.Contains("settings", StringComparison.OrdinalIgnoreCase) && s.Contains("look", StringComparison.Ordinal)
                                                && !s.Contains("don't go looking", StringComparison.Ordinal));
    }

    [Fact]
    public void Grasshopper_announces_the_owners_phones_and_connects_recoverly_last()
    {
        var steps = string.Join("\n", ForwardingGuide.For("grasshopper", Number)!.Steps);

        Assert.Contains("\"Calls will be announced when you pick up\"", steps, StringComparison.Ordinal);
        Assert.Contains("35 to 40 seconds", steps, StringComparison.Ordinal);
        Assert.Contains("enter (512) 555-0100, choose \"Calls will connect to you as soon as you pick up\", and put it last", steps, StringComparison.Ordinal);
        Assert.Contains(ForwardingGuide.For("grasshopper", Number)!.Notes, n => n.Contains("True Solo", StringComparison.Ordinal));
    }

    [Fact]
    public void RingCentral_explains_the_voicemail_switch_and_what_a_cell_phone_does_with_a_declined_call()
    {
        var guide = ForwardingGuide.For("ringcentral", Number)!;

        Assert.Contains(guide.Steps, s => s.Contains("only while voicemail is off", StringComparison.Ordinal) && s.Contains("(512) 555-0100", StringComparison.Ordinal));
        Assert.Contains(guide.Notes, n => n.Contains("decline", StringComparison.Ordinal) && n.Contains("cell's own voicemail", StringComparison.Ordinal));
        Assert.Contains(guide.Notes, n => n.Contains("the cell's voicemail answers", StringComparison.Ordinal));
        Assert.Equal(UndoEffect.RestoresVoicemail, guide.Undo[0].Effect);
    }

    [Fact]
    public void Landlines_get_the_common_codes_the_ring_count_variant_and_the_call_your_phone_company_path()
    {
        var guide = ForwardingGuide.For("landline", Number)!;

        Assert.Equal(["*925125550100", "*905125550100"], guide.Setup.Select(c => c.Code));
        Assert.Equal("*685125550100", guide.AllAtOnce?.Code);
        Assert.Equal(["*93", "*91"], guide.Undo.Where(u => u.Code is not null).Select(u => u.Code));
        Assert.Contains(guide.Notes, n => n.Contains("*9245125550100", StringComparison.Ordinal));
        Assert.Contains(guide.Notes, n => n.Contains("78# and 79#", StringComparison.Ordinal));
        Assert.Contains(guide.Notes, n => n.Contains("72# forwards every call", StringComparison.Ordinal));
        Assert.Contains(guide.Notes, n => n.Contains("confirmation tone", StringComparison.Ordinal));
        Assert.Contains(guide.Notes, n => n.Contains("call your phone company", StringComparison.Ordinal));
    }

    [Fact]
    public void Spectrum_business_undo_points_forwarding_back_at_the_voicemail_access_number()
    {
        var guide = ForwardingGuide.For("spectrumbusiness", Number)!;

        Assert.Contains(guide.Steps, s => s.Contains("write down the number it points to now", StringComparison.Ordinal));
        Assert.Equal(UndoEffect.RestoresVoicemail, guide.Undo[0].Effect);
        Assert.Contains("voicemail access number you wrote down", guide.Undo[0].Text, StringComparison.Ordinal);
        Assert.Null(guide.Unconfirmed);
    }

    [Fact]
    public void Canadian_carriers_use_their_written_form_and_say_what_forwarding_costs()
    {
        var koodo = ForwardingGuide.For("koodo", Number)!;
        Assert.Equal(["*61*5125550100#", "*67*5125550100#", "*62*5125550100#"], koodo.Setup.Select(c => c.Code));
        Assert.Equal((UndoEffect.RestoresVoicemail, "*61*[your voicemail number]#"), (koodo.Undo[0].Effect, koodo.Undo[0].Code));
        Assert.Equal(UndoEffect.CancelsForwarding, koodo.Undo.Single(u => u.Code == "#61#, #67#, #62#").Effect);
        Assert.Contains(koodo.Costs, c => c.Contains("$3 a month", StringComparison.Ordinal) && c.Contains("60¢ a minute", StringComparison.Ordinal));
        Assert.Contains(ForwardingGuide.For("telus", Number)!.Costs, c => c.Contains("75¢ a minute", StringComparison.Ordinal));
        foreach (var key in new[] { "bell", "rogers" })
        {
            var guide = ForwardingGuide.For(key, Number)!;
            Assert.Equal(ForwardingCountry.Canada, guide.System.Country);
            Assert.Contains("check with", guide.Unconfirmed, StringComparison.Ordinal);
            Assert.Contains(guide.Costs, c => c.Contains("per-minute fee", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("visible")]
    [InlineData("googlefi")]
    [InlineData("bell")]
    [InlineData("rogers")]
    [InlineData("comcastbusiness")]
    [InlineData("coxbusiness")]
    [InlineData("openphone")]
    [InlineData("dialpad")]
    [InlineData("ooma")]
    [InlineData("vonage")]
    [InlineData("voip")]
    public void Steps_we_could_not_confirm_say_check_with_your_provider(string key)
    {
        var guide = ForwardingGuide.For(key, Number)!;

        Assert.NotNull(guide.Unconfirmed);
        Assert.Contains("check with", guide.Unconfirmed, StringComparison.Ordinal);
        Assert.Contains("test call", guide.Unconfirmed, StringComparison.Ordinal);
    }

    [Fact]
    public void Google_Fi_gets_no_guessed_codes()
    {
        var guide = ForwardingGuide.For("googlefi", Number)!;

        Assert.Empty(guide.Setup);
        Assert.Null(guide.ForwardEverything);
        Assert.Contains(guide.Steps, s => s.Contains("call-through", StringComparison.Ordinal));
    }

    [Fact]
    public void Costs_cover_airtime_and_prepaid_plans_that_block_forwarding()
    {
        Assert.Contains(ForwardingGuide.For("verizon", Number)!.Costs, c => c.Contains("airtime", StringComparison.Ordinal));
        foreach (var key in new[] { "att", "tmobile", "verizon", "visible" })
            Assert.Contains(ForwardingGuide.PrepaidCost, ForwardingGuide.For(key, Number)!.Costs);
        Assert.Contains("only to local numbers", ForwardingGuide.PrepaidCost, StringComparison.Ordinal);
        Assert.Contains("own area code", ForwardingGuide.PrepaidCost, StringComparison.Ordinal);
    }

    [Fact]
    public void An_area_code_other_than_the_business_lines_is_pointed_out()
    {
        Assert.Null(ForwardingGuide.AreaCodeNote("+15125550100", "+15125550142"));
        var note = ForwardingGuide.AreaCodeNote("+15125550100", "+17375550142");
        Assert.Contains("area code 512", note, StringComparison.Ordinal);
        Assert.Contains("a number in area code 737", note, StringComparison.Ordinal);
        Assert.Null(ForwardingGuide.AreaCodeNote("+15125550100", "+442071234567"));
    }

    [Fact]
    public void Mobile_and_landline_guides_use_the_one_declined_call_wording()
    {
        foreach (var system in ForwardingGuide.Systems.Where(s => s.Kind != ForwardingKind.PhoneSystem))
        {
            var guide = ForwardingGuide.For(system.Key, Number)!;
            Assert.Contains(ForwardingGuide.DeclinedCallNote, guide.Notes);
            Assert.DoesNotContain(guide.Setup, c => c.What.Contains("decline", StringComparison.OrdinalIgnoreCase));
        }
    }

    [Fact]
    public void Every_system_has_instructions_and_unknown_keys_have_none()
    {
        foreach (var system in ForwardingGuide.Systems)
        {
            Assert.NotNull(ForwardingGuide.For(system.Key, Number));
            Assert.True(system.Key.Length <= 40, "fits Business.ForwardingCarrier");
            Assert.Matches("^[a-z]+$", system.Key);
        }
        Assert.Equal(ForwardingGuide.Systems.Count, ForwardingGuide.Systems.Select(s => s.Key).Distinct().Count());
        Assert.Equal(ForwardingGuide.Systems.Count, ForwardingGuide.Groups.Sum(g => g.Systems.Count));
        Assert.Null(ForwardingGuide.For("carrier-pigeon", Number));
        Assert.Null(ForwardingGuide.For(null, Number));
        Assert.Contains("*72", ForwardingGuide.EveryCallWarning, StringComparison.Ordinal);
        Assert.Contains("Settings → Phone → Call Forwarding", ForwardingGuide.IPhoneSwitchWarning, StringComparison.Ordinal);
        Assert.Contains("EVERY call", ForwardingGuide.IPhoneSwitchWarning, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_number_the_guide_shows_placeholders()
    {
        Assert.Equal("**61*1XXXXXXXXXX**20#", ForwardingGuide.For("tmobile", null)!.Setup[0].Code);
        Assert.Equal("*71XXXXXXXXXX", ForwardingGuide.For("verizon", null)!.Setup[0].Code);
        Assert.Equal("*61*XXXXXXXXXX#", ForwardingGuide.For("koodo", null)!.Setup[0].Code);
    }

    [Fact]
    public void The_sources_file_lists_every_system_and_the_date_it_was_checked()
    {
        var sources = File.ReadAllText(Path.Combine(AppProcess.RepoRoot, "docs", "forwarding-sources.md"));
        var headings = sources.Split('\n').Where(l => l.StartsWith("### ", StringComparison.Ordinal)).ToList();

        Assert.Contains("2026-11-29", sources, StringComparison.Ordinal);
        foreach (var system in ForwardingGuide.Systems)
            Assert.True(headings.Any(h => h.Contains($"(`{system.Key}`", StringComparison.Ordinal) || h.Contains($", `{system.Key}`", StringComparison.Ordinal)),
                $"docs/forwarding-sources.md has no heading for `{system.Key}`");
    }
}
