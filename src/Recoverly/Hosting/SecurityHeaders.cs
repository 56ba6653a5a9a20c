using Recoverly.Billing;

namespace Recoverly.Hosting;

/// <summary>
/// The security headers every response carries, set by one middleware (docs/security-headers.md): a strict
/// Content-Security-Policy — no inline script or style anywhere, page scripts and styles are files under
/// wwwroot — no MIME sniffing, no framing, and no full URL in the Referer sent to other sites.
/// Add or change a header here, never in a page or endpoint.
/// </summary>
public static class SecurityHeaders
{
    /// <summary>Stripe Checkout and the customer portal: the billing page's forms answer with a redirect there.</summary>
    public static readonly IReadOnlyList<string> StripeFormTargets = ["https://checkout.stripe.com", "https://billing.stripe.com"];

    public static HeaderPolicyCollection Policy(BillingSettings billing) => new HeaderPolicyCollection()
        .AddContentTypeOptionsNoSniff()
        .AddFrameOptionsDeny()
        .AddReferrerPolicyStrictOriginWhenCrossOrigin()
        .AddContentSecurityPolicy(csp =>
        {
            csp.AddDefaultSrc().Self();
            csp.AddScriptSrc().Self();
            csp.AddStyleSrc().Self();
            // data: for the inline SVG favicon.
            csp.AddImgSrc().Self().Data();
            csp.AddConnectSrc().Self();
            csp.AddObjectSrc().None();
            csp.AddBaseUri().Self();
            csp.AddFrameAncestors().None();
            // Browsers hold a form's redirect to form-action too, so Stripe's pages are allowed only when billing uses Stripe.
            var forms = csp.AddFormAction().Self();
            if (billing.IsStripe) forms.From(StripeFormTargets);
        });

    /// <summary>Adds the headers to every response, from static files to webhooks and errors; call before anything that answers.</summary>
    public static IApplicationBuilder UseRecoverlySecurityHeaders(this IApplicationBuilder app, BillingSettings billing) =>
        app.UseSecurityHeaders(Policy(billing));
}
