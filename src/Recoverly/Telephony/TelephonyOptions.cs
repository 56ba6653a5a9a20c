namespace Recoverly.Telephony;

public sealed class RecoverlyOptions
{
    /// <summary>Externally visible base URL (webhook signatures, callback URLs). Empty: the request's own URL.</summary>
    public string? PublicBaseUrl { get; set; }
    public string Roles { get; set; } = "web,dispatcher";
    /// <summary>Caller countries that may be texted (ISO 3166 region codes).</summary>
    public string AllowedCountries { get; set; } = "US,CA";

    public bool HasRole(string role) =>
        Roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Contains(role, StringComparer.OrdinalIgnoreCase);

    public IReadOnlyCollection<string> AllowedRegions =>
        AllowedCountries.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

public sealed class TelephonyOptions
{
    public const string Simulator = "Simulator";
    public const string Twilio = "Twilio";
    public const string Telnyx = "Telnyx";

    public string Provider { get; set; } = Simulator;
    /// <summary>Outbound messages per second per sending number (long code: 1).</summary>
    public double SendRatePerSecond { get; set; } = 1;

    public bool IsSimulator => string.Equals(Provider, Simulator, StringComparison.OrdinalIgnoreCase);
    public bool IsTelnyx => string.Equals(Provider, Telnyx, StringComparison.OrdinalIgnoreCase);
}

public sealed class TwilioOptions
{
    /// <summary>Credentials the built-in simulator uses; not secrets (the simulator is local).</summary>
    public const string SimulatorAccountSid = "AC00000000000000000000000000000000";
    public const string SimulatorAuthToken = "simulator-auth-token";

    public string? AccountSid { get; set; }
    public string? AuthToken { get; set; }
    /// <summary>Null: https://api.twilio.com, or the built-in simulator when the provider is Simulator.</summary>
    public string? ApiBaseUrl { get; set; }
    /// <summary>Line-type lookups before a first text-back (Twilio Lookup v2); empty: none, or the simulator's stand-in in simulator mode.</summary>
    public string? LookupBaseUrl { get; set; }
    /// <summary>How long a text-back waits for a lookup before it is sent anyway (the text must still go within about a second).</summary>
    public int LookupTimeoutMilliseconds { get; set; } = 600;
    /// <summary>What one lookup costs, in US cents, as shown to owners next to the setting (the provider's price list decides).</summary>
    public double LookupCostCents { get; set; } = 0.8;
    public string? MessagingServiceSid { get; set; }
    /// <summary>Kept for existing deployments: true means the provider answers every keyword Recoverly recognises.</summary>
    public bool AdvancedOptOut { get; set; }
    /// <summary>Who answers the provider's exact default keywords (README, "Pointing it at a real Twilio account").</summary>
    public KeywordReplies KeywordReplies { get; set; } = KeywordReplies.Provider;
    /// <summary>
    /// Check each number's 10DLC campaign / toll-free verification and hold its texts until approved (docs/product/registration.md).
    /// Null: on for the real Twilio API (no <see cref="ApiBaseUrl"/>), off for the simulator and test doubles.
    /// </summary>
    public bool? RegistrationCheck { get; set; }

    public bool ChecksRegistration(TelephonyOptions telephony) =>
        !telephony.IsTelnyx && (RegistrationCheck ?? (!telephony.IsSimulator && string.IsNullOrEmpty(ApiBaseUrl)));
}
