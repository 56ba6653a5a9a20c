using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Recoverly.Bench;

/// <summary>
/// The benchmark's phone plan. Every number is a valid-looking Austin (512) NANP number, so the app
/// classifies callers as US mobiles-or-unknown and texts them:
/// Recoverly numbers +1 512 7xx xxxx, business lines +1 512 8xx xxxx, measured callers +1 512 2xx xxxx,
/// warm-up callers +1 512 3xx xxxx. Index i maps to the number and back without a lookup table.
/// </summary>
public static class Numbering
{
    private const long RecoverlyBase = 7_000_000, BusinessLineBase = 8_000_000, CallerBase = 2_000_000, WarmupBase = 3_000_000;

    public static string RecoverlyNumber(int business) => Number(RecoverlyBase + business);
    public static string BusinessLine(int business) => Number(BusinessLineBase + business);
    public static string Caller(int call) => Number(CallerBase + call);
    public static string WarmupCaller(int call) => Number(WarmupBase + call);

    /// <summary>The measured-call index of a caller number, or -1.</summary>
    public static int CallerIndex(string? e164) => IndexIn(e164, CallerBase);

    public static int WarmupIndex(string? e164) => IndexIn(e164, WarmupBase);

    private static string Number(long local) => "+1512" + local.ToString(CultureInfo.InvariantCulture);

    private static int IndexIn(string? e164, long baseNumber)
    {
        if (e164 is not { Length: 12 } || !e164.StartsWith("+1512", StringComparison.Ordinal)) return -1;
        if (!long.TryParse(e164.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var local)) return -1;
        var index = local - baseNumber;
        return index is >= 0 and < 1_000_000 ? (int)index : -1;
    }
}

/// <summary>One prepared incoming-call webhook: the exact body and signature Twilio would send.</summary>
public sealed record CallWebhook(int Index, string CallSid, string From, string To, byte[] Body, string Signature);

/// <summary>Builds Twilio "a call comes in" webhooks (Twilio's documented parameters) signed as Twilio signs them.</summary>
public sealed class WebhookFactory(string accountSid, string authToken, string voiceUrl)
{
    public string VoiceUrl => voiceUrl;

    public CallWebhook Create(int index, string from, string to)
    {
        var callSid = "CA" + Guid.NewGuid().ToString("N");
        var form = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["AccountSid"] = accountSid,
            ["ApiVersion"] = "2010-04-01",
            ["CallSid"] = callSid,
            ["CallStatus"] = "ringing",
            ["Called"] = to,
            ["Caller"] = from,
            ["Direction"] = "inbound",
            ["From"] = from,
            ["FromCountry"] = "US",
            ["To"] = to,
            ["ToCountry"] = "US",
        };
        var body = string.Join('&', form.Select(kv => Uri.EscapeDataString(kv.Key) + "=" + Uri.EscapeDataString(kv.Value)));
        return new CallWebhook(index, callSid, from, to, Encoding.UTF8.GetBytes(body), Sign(authToken, voiceUrl, form));
    }

    /// <summary>X-Twilio-Signature: base64(HMAC-SHA1(token, url + each key and value, keys in ordinal order)).</summary>
    public static string Sign(string authToken, string url, IEnumerable<KeyValuePair<string, string>> form)
    {
        var data = new StringBuilder(url);
        foreach (var (key, value) in form.OrderBy(kv => kv.Key, StringComparer.Ordinal)) data.Append(key).Append(value);
#pragma warning disable CA5350 // Twilio's webhook signature is defined as HMAC-SHA1; we must produce exactly that.
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString())));
#pragma warning restore CA5350
    }

    /// <summary>Checks our signer against the official library once, so a 403 storm is never a benchmark bug.</summary>
    public void SelfCheck()
    {
        var call = Create(0, Numbering.Caller(0), Numbering.RecoverlyNumber(0));
        var form = Encoding.UTF8.GetString(call.Body).Split('&')
            .Select(p => p.Split('='))
            .ToDictionary(p => Uri.UnescapeDataString(p[0]), p => Uri.UnescapeDataString(p[1]));
        if (!new Twilio.Security.RequestValidator(authToken).Validate(voiceUrl, form, call.Signature))
            throw new InvalidOperationException("The benchmark's webhook signature does not validate with Twilio's RequestValidator.");
    }
}
