using System.Collections.Specialized;
using Twilio.Security;

namespace Recoverly.Tests.Telephony;

// Published X-Twilio-Signature vectors run against the official Twilio 8.2.0 RequestValidator, so our webhook
// filter can rely on it (and on the URL/port variants it accepts). Every vector here is from twilio-csharp's own
// test/Twilio.Test/Security/RequestValidatorTest.cs; auth token "12345".
//
// Left out on purpose:
// - Multi-valued params (Python/Node "IK+Dwps556ElfBT0I3Rgjkr1wJU=", Node "83O6e2vORAoJHUNzJjDWN1jz+BA="): the C#
//   validator takes one string per key, and a NameValueCollection joins repeated keys as "5678,1234", so it is not
//   documented (or able) to pass them.
// - Node-only vectors (credentials "CukzLTc1…", "2YRLlVAf…", "ZQFR1PTI…"; "It's+amazing" "TfZzewPq…"; empty-body
//   "Ldidvp12…"): they depend on Node's own URL re-serialisation and port handling and are not in the C# test file.
// - The legacy C# vector "lhN9sMAS…" (base64 bodySHA256 sent as a form field) targets an overload the library dropped.
// - Python's vectors duplicate C#'s (same token, params and URLs) and are covered below.
public class TwilioSignatureVectorTests
{
    private const string AuthToken = "12345";
    private const string Url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    private const string Body = "{\"property\": \"value\", \"boolean\": true}";
    private const string BodyHash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";

    private readonly RequestValidator _validator = new(AuthToken);

    // Intentionally out of alphabetical order: the validator must sort names itself.
    private static NameValueCollection FormCollection() => new()
    {
        { "CallSid", "CA1234567890ABCDE" },
        { "From", "+14158675309" },
        { "Digits", "1234" },
        { "To", "+18005551212" },
        { "Caller", "+14158675309" },
    };

    private static Dictionary<string, string> FormDictionary() => new()
    {
        ["CallSid"] = "CA1234567890ABCDE",
        ["From"] = "+14158675309",
        ["Digits"] = "1234",
        ["To"] = "+18005551212",
        ["Caller"] = "+14158675309",
    };

    [Theory]
    [InlineData(Url, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")] // TestValidateDictionary / TestValidateCollection
    [InlineData(Url, "kvajT1Ptam85bY51eRf/AJRuM3w=")] // TestValidateAddsPortHttps: signed with :443
    [InlineData("http://mycompany.com/myapp.php?foo=1&bar=2", "0ZXoZLH/DfblKGATFgpif+LLRf4=")] // TestValidateAddsPortHttp: signed with :80
    [InlineData("https://mycompany.com:1234/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")] // TestValidateRemovesPortHttps
    [InlineData("https://mycompany.com:1234/myapp.php?foo=1&bar=2", "CYn1h0gLBdNxDGkKJg6hYohgeD8=")] // TestValidateAddsCustomPortHttps
    [InlineData("http://mycompany.com:1234/myapp.php?foo=1&bar=2", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=")] // TestValidateRemovesPortHttp and ...AddsCustomPortHttp (same vector)
    [InlineData("https://MyCompany.com/myapp.php?foo=1&bar=2", "g9IN/x4Cft2g517EjYvEvM/W7LU=")] // TestValidateDictionaryMixedCase
    [InlineData("https://MyCompany.com:1234/myapp.php?foo=1&bar=2", "PCqOZm8cnu/L6+u5i5fuEd+Iac4=")] // ...MixedCaseWithPort
    [InlineData("http://MyCompany.com/myapp.php?foo=1&bar=2", "XY7AlKOKL6im4yWyX84gldUrtis=")] // ...MixedCaseAddsPortHttp
    [InlineData("http://username:password@MyCompany.com/myapp.php?foo=1&bar=2", "PJ08CxXr7KLPjEQCTc8LkUSMwSM=")] // TestValidateCredentialsArePreserved
    [InlineData("HTTP://username:password@MyCompany.com/myapp.php?foo=1&bar=2", "hy/l8pca+LFms4cvRdv8uiP6NGc=")] // ...UpperCaseScheme
    [InlineData("http://Username:Password@MyCompany.com/myapp.php?foo=1&bar=2", "SkTSKyDJH9kUlhItI0slbgZ1UsI=")] // ...MixedCaseCreds
    public void Published_form_post_signature_is_accepted(string url, string signature)
    {
        Assert.True(_validator.Validate(url, FormCollection(), signature));
        Assert.True(_validator.Validate(url, FormDictionary(), signature));
    }

    [Theory]
    [InlineData(Url, "NOTRSOYDt4T1cUTdK1PDd93/VVr8B8=")] // TestValidateFailsWhenIncorrect
    [InlineData("https://MyCompany.com/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")] // host case is signed
    [InlineData("https://MyCompany.com:1234/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")]
    [InlineData("http://MyCompany.com/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")]
    public void Signature_for_a_different_url_or_a_tampered_signature_is_rejected(string url, string signature)
    {
        Assert.False(_validator.Validate(url, FormCollection(), signature));
        Assert.False(_validator.Validate(url, FormDictionary(), signature));
    }

    [Fact]
    public void Changed_form_value_invalidates_the_published_signature()
    {
        var form = FormDictionary();
        form["Digits"] = "1235";

        Assert.False(_validator.Validate(Url, form, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
    }

    [Fact]
    public void Published_body_hash_is_the_lowercase_hex_sha256_of_the_raw_body()
    {
        Assert.True(RequestValidator.ValidateBody(Body, BodyHash));
        Assert.False(RequestValidator.ValidateBody(Body + " ", BodyHash));
    }

    [Theory]
    [InlineData(Url + "&bodySHA256=" + BodyHash, "a9nBmqA0ju/hNViExpshrM61xv4=")] // TestValidateWithBody
    [InlineData("https://mycompany.com/myapp.php?bodySHA256=" + BodyHash, "y77kIzt2vzLz71DgmJGsen2scGs=")] // TestValidateWithOnlyHash
    public void Published_json_body_signature_is_accepted(string url, string signature)
    {
        Assert.True(_validator.Validate(url, Body, signature));
    }

    [Fact]
    public void Json_body_without_bodySHA256_in_the_url_is_rejected()
    {
        // TestValidateWithBodyWithoutSignature
        Assert.False(_validator.Validate(Url, Body, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
    }

    // Derived, not vendor-published: we computed this HMAC-SHA256 value (same signed string, key
    // "12345") for 8.x SharedKey webhooks. Kept as a regression check of the 8.2.0 overload our filter will call.
    [Fact]
    public void Derived_sharedkey_hmac_sha256_signature_is_accepted_only_with_that_algorithm()
    {
        const string sha256Signature = "033hgUJA9M/hXIZsYjwkerEP/DBm35nEri5FhCYjA5s=";

        Assert.True(_validator.Validate(Url, FormDictionary(), sha256Signature, RequestValidator.HmacSha256));
        Assert.False(_validator.Validate(Url, FormDictionary(), sha256Signature, RequestValidator.HmacSha1));
        Assert.True(_validator.Validate(Url, FormDictionary(), "RSOYDt4T1cUTdK1PDd93/VVr8B8=", RequestValidator.HmacSha1));
        // Documented in Twilio.xml 8.2.0: an unknown algorithm fails validation.
        Assert.False(_validator.Validate(Url, FormDictionary(), "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "HMAC_MD5"));
    }

    [Fact]
    public void Json_body_that_does_not_match_the_signed_hash_is_rejected()
    {
        Assert.False(_validator.Validate(Url + "&bodySHA256=" + BodyHash, "{}", "a9nBmqA0ju/hNViExpshrM61xv4="));
    }
}
