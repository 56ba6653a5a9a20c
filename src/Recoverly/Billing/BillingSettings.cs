namespace Recoverly.Billing;

/// <summary><c>Billing:Provider</c>: None (self-hosted, everyone entitled) or Stripe.</summary>
public sealed class BillingSettings(IConfiguration config)
{
    public string Provider { get; } = config["Billing:Provider"] is { Length: > 0 } p ? p : "None";
    public bool Enabled => !string.Equals(Provider, "None", StringComparison.OrdinalIgnoreCase);
}
