using Recoverly.Owners;
using Recoverly.Texts;

namespace Recoverly.Tests.Texts;

public class BookingLinkTests
{
    [Theory]
    [InlineData("https://book.example.com/acme", "https://book.example.com/acme")]
    [InlineData("  https://calendly.com/acme-plumbing/visit?src=sms  ", "https://calendly.com/acme-plumbing/visit?src=sms")]
    [InlineData("HTTPS://Book.Example.com/Acme", "HTTPS://Book.Example.com/Acme")]
    [InlineData("https://xn--bcher-kva.example/termin", "https://xn--bcher-kva.example/termin")]
    public void A_secure_web_address_is_kept_as_typed(string typed, string kept)
    {
        Assert.Null(BookingLink.Validate(typed, out var link));
        Assert.Equal(kept, link);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Empty_means_no_link(string? typed)
    {
        Assert.Null(BookingLink.Validate(typed, out var link));
        Assert.Null(link);
    }

    [Theory]
    [InlineData("javascript:alert(1)", "must start with https://")]
    [InlineData("JavaScript:alert(document.cookie)//https://x.com", "must start with https://")]
    [InlineData("data:text/html,<script>alert(1)</script>", "must start with https://")]
    [InlineData("http://book.example.com/acme", "must start with https://")]
    [InlineData("ftp://book.example.com/acme", "must start with https://")]
    [InlineData("book.example.com/acme", "must start with https://")]
    [InlineData("//book.example.com/acme", "must start with https://")]
    [InlineData("https://book.example.com/acme visit", "can't contain spaces")]
    [InlineData("https://book.example.com/\tacme", "can't contain spaces")]
    [InlineData("https://book.example.com/{booking_link}", "characters a web address can't have")]
    [InlineData("https://book.example.com/\"><script>", "characters a web address can't have")]
    [InlineData("https://", "isn't a web address")]
    [InlineData("https://owner:secret@book.example.com/", "user name or password")]
    [InlineData("https://localhost/book", "full address")]
    [InlineData("https://bookings/acme", "full address")]
    public void Anything_but_a_plain_secure_web_address_is_refused_with_a_reason(string typed, string reason)
    {
        var problem = BookingLink.Validate(typed, out var link);
        Assert.NotNull(problem);
        Assert.Contains(reason, problem);
        Assert.Null(link);
    }

    [Fact]
    public void A_link_longer_than_200_characters_is_refused()
    {
        Assert.Null(BookingLink.Validate("https://book.example.com/" + new string('a', 200 - 25), out _));
        Assert.Contains("too long", BookingLink.Validate("https://book.example.com/" + new string('a', 201 - 25), out _));
    }
}

public class BookingLinkTemplateTests
{
    private const string Link = "https://book.example.com/acme";
    private const string WithLink = "Hi, this is {Business}. Sorry we missed you! Book a visit: {booking_link} or reply here. Reply STOP to opt out.";

    [Fact]
    public void A_template_using_the_booking_link_is_refused_while_no_link_is_set()
    {
        var check = TemplateRules.Check(WithLink, "Acme Plumbing", bookingLink: null);
        Assert.False(check.CanSave);
        Assert.Contains(TemplateRules.NoBookingLink, check.Errors);
        Assert.DoesNotContain(check.Warnings, w => w.Kind == TemplateWarningKind.UnknownPlaceholder);
    }

    [Fact]
    public void The_link_is_filled_in_and_counted_in_the_segments()
    {
        var check = TemplateRules.Check(WithLink, "Acme Plumbing", Link);
        Assert.True(check.CanSave);
        Assert.Empty(check.Warnings);
        Assert.Equal($"Hi, this is Acme Plumbing. Sorry we missed you! Book a visit: {Link} or reply here. Reply STOP to opt out.", check.Rendered);
        Assert.Equal(check.Rendered.Length, check.Segments.Characters);
        // 129 characters with the link: one part; a link 41 characters longer makes it two (170 > 160).
        Assert.Equal(1, check.Segments.Segments);
        var longer = TemplateRules.Check(WithLink, "Acme Plumbing", Link + "/" + new string('x', 40));
        Assert.Equal(2, longer.Segments.Segments);
    }

    [Theory]
    [InlineData("{Booking_Link}")]
    [InlineData("{booking-link}")]
    [InlineData("{BookingLink}")]
    public void A_misspelt_booking_link_placeholder_gets_a_did_you_mean(string token)
    {
        var check = TemplateRules.Check($"{{Business}}: book at {token}. Reply STOP to opt out.", "Acme", Link);
        var warning = Assert.Single(check.Warnings);
        Assert.Equal(TemplateWarningKind.UnknownPlaceholder, warning.Kind);
        Assert.Contains($"did you mean {TextTemplates.BookingLinkToken}?", warning.Text);
        Assert.Contains(token, check.Rendered);
    }

    [Fact]
    public void The_text_back_a_caller_gets_carries_the_link()
    {
        var business = Recoverly.Businesses.Business.StartTrial("Acme", "+15125550101", "+15125550100", "America/Chicago", DateTime.UtcNow);
        business.TextBackTemplate = WithLink;
        business.BookingLink = Link;
        Assert.Contains(Link, TextTemplates.TextBack(business));
    }
}

public class JobValueTests
{
    [Theory]
    [InlineData("350", 35_000L)]
    [InlineData("$350", 35_000L)]
    [InlineData(" $ 1,250.50 ", 125_050L)]
    [InlineData("1250.5", 125_050L)]
    [InlineData("0.99", 99L)]
    [InlineData("1,000,000", 100_000_000L)]
    public void Dollar_amounts_are_read_to_the_cent(string typed, long cents)
    {
        Assert.Null(JobValue.Parse(typed, out var parsed));
        Assert.Equal(cents, parsed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void No_value_is_fine(string? typed)
    {
        Assert.Null(JobValue.Parse(typed, out var parsed));
        Assert.Null(parsed);
    }

    [Theory]
    [InlineData("$")]
    [InlineData("abc")]
    [InlineData("-50")]
    [InlineData("0")]
    [InlineData("1,25")]
    [InlineData("12.345")]
    [InlineData("1,000,000.01")]
    [InlineData("1e5")]
    public void Anything_else_is_refused(string typed)
    {
        Assert.Equal(JobValue.Problem, JobValue.Parse(typed, out var parsed));
        Assert.Null(parsed);
    }

    [Theory]
    [InlineData(35_000L, "$350")]
    [InlineData(125_050L, "$1,250.50")]
    public void Values_are_shown_in_dollars(long cents, string shown) => Assert.Equal(shown, JobValue.Format(cents));
}
