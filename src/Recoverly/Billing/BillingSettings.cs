namespace Recoverly.Billing;

/// <summary>
/// <c>Billing:Provider</c>: None (self-hosted, everyone entitled, no billing pages) or Stripe, with
/// <c>Stripe:SecretKey</c>, <c>Stripe:WebhookSecret</c>, <c>Stripe:PriceId</c> and <c>Stripe:ApiBaseUrl</c>.
/// </summary>
public sealed class BillingSettings(IConfiguration config)
{
    public const decimal MonthlyPrice = 29m;

    public string Provider { get; } = config["Billing:Provider"] is { Length: > 0 } p ? p : "None";
    public bool Enabled => !string.Equals(Provider, "None", StringComparison.OrdinalIgnoreCase);
    public bool IsStripe => string.Equals(Provider, "Stripe", StringComparison.OrdinalIgnoreCase);

    public string? StripeSecretKey { get; } = NullIfEmpty(config["Stripe:SecretKey"]);
    public string? StripeWebhookSecret { get; } = NullIfEmpty(config["Stripe:WebhookSecret"]);
    public string? StripePriceId { get; } = NullIfEmpty(config["Stripe:PriceId"]);
    /// <summary>A Stripe-compatible endpoint can stand in (tests); empty means Stripe's own API.</summary>
    public string? StripeApiBaseUrl { get; } = NullIfEmpty(config["Stripe:ApiBaseUrl"])?.TrimEnd('/');

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
