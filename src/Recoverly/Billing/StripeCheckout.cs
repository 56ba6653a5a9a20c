using Recoverly.Businesses;
using Recoverly.Telephony;
using Stripe;

namespace Recoverly.Billing;

/// <summary>Starts Stripe Checkout for the $29 plan and opens the customer portal (the owner leaves for Stripe's pages).</summary>
public sealed class StripeCheckout(BillingSettings settings, IHttpClientFactory http, PublicUrls urls)
{
    public const string HttpClientName = "stripe";
    /// <summary>Carried on the subscription, so its invoices and updates find the business even before checkout completes.</summary>
    public const string BusinessMetadataKey = "business_id";

    public async Task<string> StartCheckoutAsync(Business business, string? ownerEmail, CancellationToken ct)
    {
        var options = new Stripe.Checkout.SessionCreateOptions
        {
            Mode = "subscription",
            ClientReferenceId = business.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            LineItems = [new Stripe.Checkout.SessionLineItemOptions { Price = Require(settings.StripePriceId, "Stripe:PriceId"), Quantity = 1 }],
            SubscriptionData = new Stripe.Checkout.SessionSubscriptionDataOptions
            {
                Metadata = new Dictionary<string, string> { [BusinessMetadataKey] = business.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            },
            SuccessUrl = urls.For("/app/billing?checkout=done"),
            CancelUrl = urls.For("/app/billing?checkout=cancelled"),
        };
        if (business.StripeCustomerId is { } customer) options.Customer = customer;
        else if (!string.IsNullOrWhiteSpace(ownerEmail)) options.CustomerEmail = ownerEmail;
        var session = await new Stripe.Checkout.SessionService(Client()).CreateAsync(options, cancellationToken: ct);
        return session.Url;
    }

    public async Task<string> OpenPortalAsync(Business business, CancellationToken ct)
    {
        var session = await new Stripe.BillingPortal.SessionService(Client()).CreateAsync(new Stripe.BillingPortal.SessionCreateOptions
        {
            Customer = business.StripeCustomerId ?? throw new InvalidOperationException("The business has no Stripe customer yet."),
            ReturnUrl = urls.For("/app/billing"),
        }, cancellationToken: ct);
        return session.Url;
    }

    private StripeClient Client() => new(
        apiKey: Require(settings.StripeSecretKey, "Stripe:SecretKey"),
        httpClient: new SystemNetHttpClient(http.CreateClient(HttpClientName)),
        apiBase: settings.StripeApiBaseUrl ?? StripeClient.DefaultApiBase);

    private static string Require(string? value, string key) =>
        value ?? throw new InvalidOperationException($"{key} is required when Billing:Provider is Stripe.");
}
