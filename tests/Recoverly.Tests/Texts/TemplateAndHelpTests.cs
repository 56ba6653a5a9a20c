using Recoverly.Businesses;
using Recoverly.Texts;

namespace Recoverly.Tests.Texts;

public class TemplateAndHelpTests
{
    [Theory]
    [InlineData("{Business}: sorry we missed you. Reply STOP to opt out.", true)]
    [InlineData("{Business}: sorry we missed you. reply stop to opt out.", true)]
    [InlineData("{Business}: sorry we missed you. Text \"STOP\" to end texts.", true)]
    [InlineData("{Business}: sorry we missed you. Respond with STOP to opt out.", true)]
    [InlineData("{Business}: we never stop working for you!", false)]
    [InlineData("{Business}: sorry we missed you. STOP", false)]
    [InlineData("{Business}: sorry we missed you. Non-stop service, call us.", false)]
    [InlineData("{Business}: sorry we missed you. Replying stopped? Call us.", false)]
    public void A_template_needs_a_real_opt_out_instruction_not_just_the_word_stop(string template, bool saves)
    {
        var check = TemplateRules.Check(template, "Acme Plumbing");

        Assert.Equal(saves, check.CanSave);
        Assert.Equal(!saves, check.Errors.Any(e => e.Contains("Reply STOP to opt out", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(20, null)]
    [InlineData(20, "a-very-long-mailbox-name-for-support-and-bookings@an-equally-long-domain-name.example")]
    [InlineData(200, "help@acme.example")]
    [InlineData(400, "a-very-long-mailbox-name-for-support-and-bookings@an-equally-long-domain-name.example")]
    public void The_HELP_answer_is_never_cut_before_its_rates_and_STOP_line(int nameLength, string? email)
    {
        var business = new Business
        {
            Name = string.Concat(Enumerable.Repeat("Acme ", nameLength / 5 + 1))[..nameLength], BusinessPhone = "+15125550101", OwnerEmail = email,
            TimeZone = "America/Chicago",
        };

        var help = TextTemplates.HelpReply(business);

        Assert.True(help.Length <= TextTemplates.HelpReplyMaxLength, help);
        Assert.EndsWith("1 message per missed call. Msg & data rates may apply. Reply STOP to opt out.", help);
        Assert.Contains("call (512) 555-0101", help);
    }

    [Fact]
    public void A_short_HELP_answer_keeps_the_name_and_the_email()
    {
        var business = new Business { Name = "Acme Plumbing", BusinessPhone = "+15125550101", OwnerEmail = "help@acme.example", TimeZone = "America/Chicago" };

        Assert.Equal("Acme Plumbing: we text back callers we missed. Help: call (512) 555-0101 or help@acme.example. 1 message per missed call. " +
                     "Msg & data rates may apply. Reply STOP to opt out.", TextTemplates.HelpReply(business));
    }
}
