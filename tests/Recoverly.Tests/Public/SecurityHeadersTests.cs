using System.Net;
using System.Text.RegularExpressions;
using Recoverly.Tests.Infrastructure;

namespace Recoverly.Tests.Public;

/// <summary>Every response carries the security headers (docs/security-headers.md), and no page needs inline code to work under them.</summary>
public partial class SecurityHeadersTests
{
    private const string Csp =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; " +
        "base-uri 'self'; frame-ancestors 'none'; form-action 'self'";

    private static void AssertHeaders(HttpResponseMessage response, string what, string csp = Csp)
    {
        string? Header(string name) => response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : null;
        Assert.True(Header("Content-Security-Policy") == csp, $"{what}: Content-Security-Policy was {Header("Content-Security-Policy")}");
        Assert.True(Header("X-Content-Type-Options") == "nosniff", $"{what}: X-Content-Type-Options was {Header("X-Content-Type-Options")}");
        Assert.True(Header("X-Frame-Options") == "DENY", $"{what}: X-Frame-Options was {Header("X-Frame-Options")}");
        Assert.True(Header("Referrer-Policy") == "strict-origin-when-cross-origin", $"{what}: Referrer-Policy was {Header("Referrer-Policy")}");
    }

    [Theory]
    [InlineData("GET", "/", HttpStatusCode.OK)]
    [InlineData("GET", "/calculator?missed=abc", HttpStatusCode.OK)]
    [InlineData("GET", "/css/site.css", HttpStatusCode.OK)]
    [InlineData("GET", "/js/calculator.js", HttpStatusCode.OK)]
    [InlineData("GET", "/favicon.svg", HttpStatusCode.OK)]
    [InlineData("GET", "/healthz", HttpStatusCode.OK)]
    [InlineData("GET", "/app", HttpStatusCode.Redirect)]
    [InlineData("GET", "/no-such-page", HttpStatusCode.NotFound)]
    [InlineData("POST", "/twilio/sms", HttpStatusCode.Forbidden)] // unsigned webhook
    public async Task Every_response_carries_the_security_headers(string method, string path, HttpStatusCode status)
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite);

        var response = await app.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = method == "POST" ? new FormUrlEncodedContent([new("From", "+15125550142")]) : null,
        });

        Assert.Equal(status, response.StatusCode);
        AssertHeaders(response, $"{method} {path}");
    }

    [Fact]
    public async Task With_stripe_billing_forms_may_also_lead_to_stripe_checkout_and_the_customer_portal()
    {
        await using var app = await TestApp.StartAsync(Db.Sqlite, new Dictionary<string, string?>
        {
            ["Billing:Provider"] = "Stripe", ["Stripe:SecretKey"] = "sk_test_unused", ["Stripe:WebhookSecret"] = "whsec_unused", ["Stripe:PriceId"] = "price_unused",
        });

        var response = await app.Http.GetAsync("/pricing");

        AssertHeaders(response, "/pricing", Csp + " https://checkout.stripe.com https://billing.stripe.com");
    }

    /// <summary>The CSP forbids inline code, so markup must not hold any; a source check catches pages no browser test opens.</summary>
    [Fact]
    public void No_page_holds_an_inline_script_style_or_event_handler()
    {
        var pages = Path.Combine(RepositoryRoot(), "src", "Recoverly", "Pages");
        var problems = new List<string>();
        foreach (var file in Directory.EnumerateFiles(pages, "*.cshtml", SearchOption.AllDirectories))
        {
            var markup = File.ReadAllText(file);
            foreach (Match m in InlineCode().Matches(markup))
                problems.Add($"{Path.GetRelativePath(pages, file)}: {m.Value}");
        }
        Assert.Empty(problems);
    }

    private static string RepositoryRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Recoverly.slnx"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("Recoverly.slnx not found above the test binaries");
    }

    // A <script> without src, a <style> element, a style="" attribute, an on…="" handler or a javascript: URL.
    [GeneratedRegex(@"<script(?![^>]*\bsrc=)[^>]*>|<style\b[^>]*>|\sstyle\s*=|\son[a-z]+\s*=\s*[""']|javascript:", RegexOptions.IgnoreCase)]
    private static partial Regex InlineCode();
}
