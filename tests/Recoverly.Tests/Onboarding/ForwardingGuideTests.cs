using Recoverly.Telephony;

namespace Recoverly.Tests.Onboarding;

/// <summary>The forwarding codes of SPEC 1.8 / compliance.md §8 with the Recoverly number filled in.</summary>
public class ForwardingGuideTests
{
    private const string Number = "+15125550100";

    [Theory]
    [InlineData("att")]
    [InlineData("tmobile")]
    [InlineData("gsm")]
    [InlineData("uscellular")]
    public void Gsm_networks_get_conditional_codes_with_a_ring_time_and_a_cancel_code(string carrier)
    {
        var guide = ForwardingGuide.For(carrier, Number)!;
        Assert.Equal(["**61*+15125550100**20#", "**67*+15125550100#", "**62*+15125550100#"], guide.Setup.Select(c => c.Code));
        Assert.Equal("**004*+15125550100#", guide.AllAtOnce?.Code);
        Assert.Contains("##004#", guide.Undo.Select(c => c.Code));
        Assert.Equal(["*#61#", "*#67#", "*#62#"], guide.Check.Select(c => c.Code));
        Assert.Equal("**21*+15125550100#", guide.ForwardEverything?.Code);
        Assert.DoesNotContain(guide.Setup, c => c.Code.StartsWith("**21*", StringComparison.Ordinal) || c.Code.StartsWith("*72", StringComparison.Ordinal));
    }

    [Fact]
    public void Verizon_uses_star_71_with_ten_digits_and_star_73_to_undo()
    {
        var guide = ForwardingGuide.For("verizon", Number)!;
        Assert.Equal(["*715125550100"], guide.Setup.Select(c => c.Code));
        Assert.Equal(["*73"], guide.Undo.Select(c => c.Code));
        Assert.Equal("*725125550100", guide.ForwardEverything?.Code);
    }

    [Fact]
    public void Landlines_get_no_answer_and_busy_codes_and_a_may_vary_note()
    {
        var guide = ForwardingGuide.For("landline", Number)!;
        Assert.Equal(["*925125550100", "*905125550100"], guide.Setup.Select(c => c.Code));
        Assert.Equal("*685125550100", guide.AllAtOnce?.Code);
        Assert.Equal(["*93", "*91", "*88"], guide.Undo.Select(c => c.Code));
        Assert.Contains(guide.Notes, n => n.Contains("vary", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ringcentral")]
    [InlineData("grasshopper")]
    [InlineData("googlevoice")]
    [InlineData("voip")]
    public void Phone_systems_get_portal_steps_with_the_number_and_no_star_codes(string system)
    {
        var guide = ForwardingGuide.For(system, Number)!;
        Assert.Empty(guide.Setup);
        Assert.Contains(guide.Steps, s => s.Contains("(512) 555-0100", StringComparison.Ordinal));
        Assert.NotEmpty(guide.Undo);
    }

    [Fact]
    public void Every_system_has_instructions_and_unknown_keys_have_none()
    {
        foreach (var system in ForwardingGuide.Systems)
        {
            Assert.NotNull(ForwardingGuide.For(system.Key, Number));
            Assert.True(system.Key.Length <= 40, "fits Business.ForwardingCarrier");
        }
        Assert.Null(ForwardingGuide.For("carrier-pigeon", Number));
        Assert.Null(ForwardingGuide.For(null, Number));
        Assert.Contains("*72", ForwardingGuide.EveryCallWarning, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_number_the_guide_shows_placeholders()
    {
        Assert.Equal("**61*+1XXXXXXXXXX**20#", ForwardingGuide.For("tmobile", null)!.Setup[0].Code);
        Assert.Equal("*71XXXXXXXXXX", ForwardingGuide.For("verizon", null)!.Setup[0].Code);
    }
}
