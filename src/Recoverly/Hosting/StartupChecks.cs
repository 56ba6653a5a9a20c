using System.Net;
using Recoverly.Telephony;

namespace Recoverly.Hosting;

/// <summary>
/// Configurations that would start but silently break — webhooks checked against the wrong URL, links to
/// localhost in mail, a missing secret, the simulator open to the internet — stop the process before it
/// listens, with one line naming the key (docs/deploy.md, "What start-up refuses").
/// </summary>
public static class StartupChecks
{
    public static string? Problem(IConfiguration config)
    {
        var telephony = Value(config, "Telephony:Provider") ?? "Simulator";
        var simulator = telephony.Equals("Simulator", StringComparison.OrdinalIgnoreCase);
        var twilio = telephony.Equals("Twilio", StringComparison.OrdinalIgnoreCase);
        var telnyx = telephony.Equals("Telnyx", StringComparison.OrdinalIgnoreCase);
        if (!simulator && !twilio && !telnyx) return $"Telephony:Provider must be Simulator, Twilio or Telnyx, not '{telephony}'.";
        var billing = Value(config, "Billing:Provider") ?? "None";
        var stripe = billing.Equals("Stripe", StringComparison.OrdinalIgnoreCase);
        if (!stripe && !billing.Equals("None", StringComparison.OrdinalIgnoreCase)) return $"Billing:Provider must be None or Stripe, not '{billing}'.";
        if (PublicDeployment.ParseKnownProxies(config[PublicDeployment.KnownProxiesKey]).Invalid is { } proxy)
            return $"{PublicDeployment.KnownProxiesKey}: '{proxy}' is not an IP address or a CIDR range such as 10.0.0.0/8.";

        var baseUrl = Value(config, "Recoverly:PublicBaseUrl");
        if (baseUrl is null && !simulator)
        {
            var provider = twilio ? "Twilio" : "Telnyx";
            return $"Recoverly:PublicBaseUrl is required with Telephony:Provider={provider}: set it to the https:// address {provider} reaches this app at.";
        }
        if (baseUrl is not null && BaseUrlProblem(baseUrl) is { } urlProblem) return $"Recoverly:PublicBaseUrl {urlProblem}";
        if (twilio)
        {
            foreach (var key in new[] { "Twilio:AccountSid", "Twilio:AuthToken" })
                if (Value(config, key) is null) return $"{key} is required with Telephony:Provider=Twilio.";
        }
        if (telnyx && TelnyxProblem(config) is { } telnyxProblem) return telnyxProblem;
        if (Value(config, "Twilio:LookupBaseUrl") is { } lookupUrl)
        {
            // The lookup sends the account's credentials: only over https (or to this machine), and only with credentials to send.
            if (BaseUrlProblem(lookupUrl) is { } lookupProblem) return $"Twilio:LookupBaseUrl {lookupProblem}";
            if (!simulator)
                foreach (var key in new[] { "Twilio:AccountSid", "Twilio:AuthToken" })
                    if (Value(config, key) is null) return $"{key} is required with Twilio:LookupBaseUrl (line-type lookups use the Twilio account).";
        }
        if (stripe)
        {
            foreach (var key in new[] { "Stripe:SecretKey", "Stripe:WebhookSecret", "Stripe:PriceId" })
                if (Value(config, key) is null) return $"{key} is required with Billing:Provider=Stripe.";
        }
        var publicHost = baseUrl is not null && !IsLoopbackHost(new Uri(baseUrl).Host);
        if (publicHost && Value(config, "Email:SmtpHost") is null)
            return "Email:SmtpHost is required when Recoverly:PublicBaseUrl is a public address: sign-up confirmations and password resets are mailed.";

        if (RolesProblem(Value(config, "Recoverly:Roles") ?? "web,dispatcher") is { } rolesProblem) return rolesProblem;
        if (Recoverly.Push.VapidKeys.ConfigurationProblem(config) is { } pushProblem) return pushProblem;
        if (Recoverly.Dispatch.DispatchConnection.SizeProblem(config) is { } poolProblem) return poolProblem;
        if (config.GetValue("Metrics:Enabled", false) && (Value(config, "Metrics:Token")?.Length ?? 0) < 16)
            return "Metrics:Token (at least 16 characters) is required with Metrics:Enabled=true: scrapers present it as a bearer token.";

        if (simulator && !config.GetValue("Telephony:AllowPublicSimulator", false))
        {
            if (publicHost)
                return $"Telephony:Provider=Simulator is for this machine only, but Recoverly:PublicBaseUrl is {baseUrl}: set Telephony:AllowPublicSimulator=true to expose the simulator on purpose.";
            if (PublicBinding(config) is { } binding)
                return $"Telephony:Provider=Simulator listens on loopback only, but {binding.Key} binds {binding.Url}: bind 127.0.0.1 or localhost, or set Telephony:AllowPublicSimulator=true to expose the simulator on purpose.";
        }
        return null;
    }

    /// <summary>
    /// Without its API key every send is refused; without a usable public key every webhook gets 403
    /// (nothing to verify the Ed25519 signature with).
    /// </summary>
    private static string? TelnyxProblem(IConfiguration config)
    {
        if (Value(config, "Telnyx:ApiKey") is null) return "Telnyx:ApiKey is required with Telephony:Provider=Telnyx (an API v2 key from the Telnyx portal).";
        var publicKey = Value(config, "Telnyx:PublicKey");
        if (publicKey is null) return "Telnyx:PublicKey is required with Telephony:Provider=Telnyx (the account's webhook public key, base64).";
        if (!TelnyxSignature.IsPublicKey(publicKey)) return "Telnyx:PublicKey must be the base64 of a 32-byte Ed25519 public key, as the Telnyx portal shows it.";
        if (Value(config, "Telnyx:ApiBaseUrl") is { } api
            && (!Uri.TryCreate(api, UriKind.Absolute, out var apiUri) || (apiUri.Scheme != Uri.UriSchemeHttps && apiUri.Scheme != Uri.UriSchemeHttp)))
            return $"Telnyx:ApiBaseUrl must be an absolute https:// address, not '{api}'.";
        // It goes into API paths (numbers, verification calls): an id, not a name or a URL.
        if (Value(config, "Telnyx:TexmlApplicationId") is { } app && (app.Length > 64 || !app.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
            return "Telnyx:TexmlApplicationId must be the TeXML application's id as the Telnyx portal shows it (digits, e.g. 1494404757140276705), not its name.";
        return null;
    }

    /// <summary>A typo in a role would start a process that silently does nothing.</summary>
    private static string? RolesProblem(string roles)
    {
        var names = roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0) return "Recoverly:Roles must name web, dispatcher or both.";
        return names.FirstOrDefault(n => !n.Equals("web", StringComparison.OrdinalIgnoreCase) && !n.Equals("dispatcher", StringComparison.OrdinalIgnoreCase))
            is { } unknown ? $"Recoverly:Roles: '{unknown}' is not a role; use web, dispatcher or both (web,dispatcher)." : null;
    }

    /// <summary>Why an address can't be the public base URL, or null.</summary>
    public static string? BaseUrlProblem(string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
            return $"must be an absolute https:// address such as https://recoverly.example.com, not '{value}'.";
        if (uri.Scheme == Uri.UriSchemeHttp && !IsLoopbackHost(uri.Host))
            return $"must be https:// (plain http:// only for 127.0.0.1, localhost or [::1]), not '{value}'.";
        return null;
    }

    public static bool IsLoopbackHost(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>The first address the server would bind that is reachable from other machines, and the key that set it.</summary>
    private static (string Key, string Url)? PublicBinding(IConfiguration config)
    {
        var bindings = new List<(string Key, string Url)>();
        foreach (var url in (config["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            bindings.Add(("urls", url));
        foreach (var endpoint in config.GetSection("Kestrel:Endpoints").GetChildren())
            if (endpoint["Url"] is { Length: > 0 } url) bindings.Add(($"Kestrel:Endpoints:{endpoint.Key}:Url", url));
        foreach (var (key, url) in bindings)
        {
            BindingAddress address;
            try
            {
                address = BindingAddress.Parse(url);
            }
            catch (FormatException)
            {
                return (key, url);
            }
            if (!address.IsUnixPipe && !IsLoopbackHost(address.Host)) return (key, url);
        }
        return null;
    }

    private static string? Value(IConfiguration config, string key) => config[key] is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
}
