using Recoverly.Telephony;

namespace Recoverly.Tests.Telephony;

public class PhoneNumbersTests
{
    [Theory]
    // CID-01: Twilio keypad spellings (checked before the length rules: two of them have only 7 digits).
    [InlineData("+266696687")]
    [InlineData("+7378742833")]
    [InlineData("+86282452253")]
    [InlineData("+2562533")]
    [InlineData("+8656696")]
    [InlineData(" +2562533 ")]
    // CID-01: alpha caller IDs in any case, and empty values.
    [InlineData("anonymous")]
    [InlineData("ANONYMOUS")]
    [InlineData("Anonymous")]
    [InlineData("restricted")]
    [InlineData("RESTRICTED")]
    [InlineData("unknown")]
    [InlineData("Unknown")]
    [InlineData("unavailable")]
    [InlineData("UNAVAILABLE")]
    [InlineData("private")]
    [InlineData("Private")]
    [InlineData("blocked")]
    [InlineData("BLOCKED")]
    [InlineData(" anonymous ")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    // CID-02: anything that is not E.164.
    [InlineData("client:alice")]
    [InlineData("client:+15125550142")]
    [InlineData("sip:alice@example.com")]
    [InlineData("SIP:+15125550142@sip.example.com")]
    [InlineData("15125550142")]
    [InlineData("5125550142")]
    [InlineData("0000000000")]
    [InlineData("+1 512 555 0142")]
    [InlineData("+1-512-555-0142")]
    [InlineData("(512) 555-0142")]
    [InlineData("+0125550142")]
    [InlineData("+")]
    [InlineData("+1")]
    [InlineData("+1234567890123456")]
    [InlineData("++15125550142")]
    [InlineData("+15125550142x")]
    [InlineData("+15125550142\n+15125550143")]
    [InlineData("+١٥١٢٥٥٥٠١٤٢")]
    public void Withheld_caller_ids(string? raw)
    {
        Assert.Equal(new CallerId(CallerIdKind.Withheld, null, null), Phones.ParseCaller(raw));
    }

    [Theory]
    // CID-05: 5–6 digit short codes (and anything E.164-looking with fewer than 7 digits).
    [InlineData("+12345")]
    [InlineData("+22395")]
    [InlineData("+898287")]
    [InlineData("+12")]
    [InlineData("+123456")]
    public void Short_codes(string raw)
    {
        Assert.Equal(new CallerId(CallerIdKind.ShortCode, raw, null), Phones.ParseCaller(raw));
    }

    [Theory]
    // US (including the fictional 555-01xx range, valid or merely possible in libphonenumber).
    [InlineData("+15125550142", "US")]
    [InlineData("+15125550100", "US")]
    [InlineData("+15125550199", "US")]
    [InlineData("+12125551234", "US")]
    [InlineData("+13105550123", "US")]
    [InlineData("+18005550142", "US")]
    // Canada.
    [InlineData("+14165550142", "CA")]
    [InlineData("+16045550199", "CA")]
    [InlineData("+16135550142", "CA")]
    [InlineData("+15145550142", "CA")]
    // Other +1 countries are international (docs/product/missed-calls.md): Jamaica +1 876, Puerto Rico, Bahamas.
    [InlineData("+18765551234", "JM")]
    [InlineData("+18762345678", "JM")]
    [InlineData("+17875550142", "PR")]
    [InlineData("+12423570000", "BS")]
    // CID-06: non-+1 countries.
    [InlineData("+442079460958", "GB")]
    [InlineData("+33612345678", "FR")]
    [InlineData("+61412345678", "AU")]
    [InlineData("+525512345678", "MX")]
    // Mexico's retired mobile '1' prefix makes the number impossible today => no region, so never texted.
    [InlineData("+5215512345678", null)]
    // Exactly 7 digits is no longer a short code.
    [InlineData("+3531234", null)]
    // +1 numbers that cannot be placed in a region (unknown area code, malformed NANP) => null.
    [InlineData("+15555550142", null)]
    [InlineData("+19995550142", null)]
    [InlineData("+11234567890", null)]
    [InlineData("+15120550142", null)]
    [InlineData("+1512555014", null)]
    [InlineData("+151255501423", null)]
    [InlineData("+115125550142", null)]
    // Unassigned country code.
    [InlineData("+9991234567", null)]
    public void Numbers_with_region(string raw, string? region)
    {
        Assert.Equal(new CallerId(CallerIdKind.Number, raw, region), Phones.ParseCaller(raw));
    }

    [Fact]
    public void Caller_number_is_trimmed()
    {
        Assert.Equal(new CallerId(CallerIdKind.Number, "+15125550142", "US"), Phones.ParseCaller("  +15125550142\r\n"));
    }

    [Theory]
    // The country rule (docs/product/missed-calls.md): US and Canada by default; Jamaica and other +1 countries are international.
    [InlineData("+15125550142", true)]
    [InlineData("+14165550142", true)]
    [InlineData("+18765551234", false)]
    [InlineData("+442079460958", false)]
    [InlineData("+15555550142", false)]
    public void Default_allowed_regions_are_us_and_canada(string raw, bool allowed)
    {
        string? region = Phones.ParseCaller(raw).RegionCode;
        Assert.Equal(allowed, Phones.IsAllowedRegion(region));
        Assert.Equal(allowed, Phones.IsAllowedRegion(region, Phones.DefaultAllowedRegions));
    }

    [Theory]
    [InlineData("US", new[] { "US", "CA" }, true)]
    [InlineData("ca", new[] { "US", "CA" }, true)]
    [InlineData("Ca", new[] { "us", "ca" }, true)]
    [InlineData("JM", new[] { "US", "CA" }, false)]
    [InlineData("GB", new[] { "US", "CA" }, false)]
    [InlineData("GB", new[] { "US", "CA", "gb" }, true)]
    [InlineData("JM", new[] { "US", "CA", "JM" }, true)]
    [InlineData(" US ", new[] { "US" }, true)]
    [InlineData("US", new string[0], false)]
    [InlineData(null, new[] { "US", "CA" }, false)]
    [InlineData("", new[] { "US", "CA" }, false)]
    [InlineData("USA", new[] { "US", "CA" }, false)]
    public void Allowed_region_is_case_insensitive(string? region, string[] allowedRegions, bool expected)
    {
        Assert.Equal(expected, Phones.IsAllowedRegion(region, allowedRegions));
    }

    [Theory]
    [InlineData("(512) 555-0142", "+15125550142")]
    [InlineData("512-555-0142", "+15125550142")]
    [InlineData("+1 512 555 0142", "+15125550142")]
    [InlineData("5125550142", "+15125550142")]
    [InlineData("1-512-555-0142", "+15125550142")]
    [InlineData("1 (512) 555-0142", "+15125550142")]
    [InlineData("512.555.0142", "+15125550142")]
    [InlineData("  512 555 0142  ", "+15125550142")]
    [InlineData("512\u2013555\u20130142", "+15125550142")]
    [InlineData("+15125550142", "+15125550142")]
    [InlineData("(416) 555-0142", "+14165550142")]
    [InlineData("(876) 555-1234", "+18765551234")]
    [InlineData("+44 20 7946 0958", "+442079460958")]
    [InlineData("011 44 20 7946 0958", "+442079460958")]
    public void User_input_is_normalised_to_e164(string input, string expected)
    {
        Assert.Equal(expected, Phones.NormalizeUserInput(input));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("abc")]
    [InlineData("call me")]
    [InlineData("555-0142")]
    [InlineData("12345")]
    [InlineData("(123) 456-7890")]
    [InlineData("(512) 055-0142")]
    [InlineData("512-555-01423")]
    [InlineData("1-800-FLOWERS")]
    [InlineData("512-555-0142 ext 12")]
    [InlineData("512-555-0142 x12")]
    [InlineData("tel:+15125550142")]
    [InlineData("512+555+0142")]
    [InlineData("+44 20 7946")]
    [InlineData("+999 123 4567")]
    [InlineData("anonymous")]
    public void Invalid_user_input_is_null(string? input)
    {
        Assert.Null(Phones.NormalizeUserInput(input));
    }

    [Theory]
    [InlineData("020 7946 0958", "GB", "+442079460958")]
    [InlineData("(416) 555-0142", "CA", "+14165550142")]
    [InlineData("06 12 34 56 78", "FR", "+33612345678")]
    [InlineData("020 7946 0958", "US", null)]
    public void User_input_uses_the_default_region(string input, string region, string? expected)
    {
        Assert.Equal(expected, Phones.NormalizeUserInput(input, region));
    }

    [Theory]
    [InlineData("+15125550142", "(512) 555-0142")]
    [InlineData("+14165550142", "(416) 555-0142")]
    [InlineData("+18765551234", "(876) 555-1234")]
    [InlineData("+15555550142", "(555) 555-0142")]
    [InlineData("+442079460958", "+44 20 7946 0958")]
    [InlineData("+33612345678", "+33 6 12 34 56 78")]
    [InlineData("+61412345678", "+61 412 345 678")]
    [InlineData("+12345", "+1 2345")]
    [InlineData("anonymous", "anonymous")]
    [InlineData("", "")]
    public void Format_for_display(string e164, string expected)
    {
        Assert.Equal(expected, Phones.FormatForDisplay(e164));
    }

    [Theory]
    [InlineData("+15125550142", "+1*******42")]
    [InlineData("+14165550199", "+1*******99")]
    [InlineData("+18765551234", "+1*******34")]
    [InlineData("+442079460958", "+44*******58")]
    [InlineData("+33612345678", "+33*******78")]
    [InlineData("+3531234", "+353*******34")]
    [InlineData("+266696687", "+266*******87")]
    [InlineData(" +15125550142 ", "+1*******42")]
    [InlineData("+12345", "+1*******45")]
    [InlineData("+12", "***")]
    [InlineData("+9991234567", "***")]
    [InlineData("15125550142", "***")]
    [InlineData("(512) 555-0142", "***")]
    [InlineData("anonymous", "***")]
    [InlineData("client:alice", "***")]
    [InlineData("", "***")]
    [InlineData(null, "***")]
    public void Mask_keeps_country_code_and_last_two_digits(string? phone, string expected)
    {
        Assert.Equal(expected, Phones.Mask(phone));
    }

    [Theory]
    [InlineData("+15125550142")]
    [InlineData("+442079460958")]
    [InlineData("+18765551234")]
    public void Mask_never_reveals_the_subscriber_number(string e164)
    {
        string masked = Phones.Mask(e164);
        Assert.DoesNotContain(e164[^6..^2], masked, StringComparison.Ordinal);
        Assert.EndsWith("*******" + e164[^2..], masked, StringComparison.Ordinal);
    }
}
