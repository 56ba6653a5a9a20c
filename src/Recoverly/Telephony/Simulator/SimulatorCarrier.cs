using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Recoverly.Telephony.Simulator;

public sealed class SimMessage
{
    public required string Sid { get; init; }
    public required string From { get; init; }
    public required string To { get; init; }
    public required string Body { get; init; }
    /// <summary>"outbound" = sent by Recoverly through the API; "inbound" = typed on a simulated phone.</summary>
    public required string Direction { get; init; }
    public DateTime CreatedAt { get; init; }
    public string Status { get; set; } = "queued";
}

/// <summary>A call Recoverly placed through the Calls API (the line-verification call): what the called phone heard.</summary>
public sealed record SimCall(string Sid, string From, string To, string Heard, DateTime CreatedAt);

/// <summary>
/// A Twilio-compatible carrier inside the app (Telephony:Provider=Simulator): it accepts the
/// adapter's Messages.json requests and signs and posts the same webhooks Twilio would.
/// Its state is in memory: the simulator is a demo and a test bench, not a record.
/// </summary>
public sealed class SimulatorCarrier(IHttpClientFactory httpClients, PublicUrls urls, IOptions<TwilioOptions> twilio,
    TimeProvider time, ILogger<SimulatorCarrier> log)
{
    public const string HttpClientName = "simulator";
    private const int MaxKept = 5000;

    private readonly List<SimMessage> _messages = [];
    private readonly List<SimCall> _calls = [];
    private readonly HashSet<(string Phone, string Number)> _blocked = [];
    private readonly Dictionary<string, string> _lineTypes = [];
    private readonly Lock _lock = new();

    // What Twilio's default keyword handling answers, in substance (the simulator's own wording).
    public const string ProviderStopReply = "You have successfully been unsubscribed. You will not receive any more messages from this number. Reply START to resubscribe.";
    public const string ProviderStartReply = "You have successfully been re-subscribed to messages from this number. Reply HELP for help. Reply STOP to unsubscribe.";
    public const string ProviderHelpReply = "Reply STOP to unsubscribe. Msg&Data Rates May Apply.";

    /// <summary>Like Twilio after a STOP word: the phone gets nothing more from this number (21610) until START.</summary>
    public bool IsBlocked(string to, string from)
    {
        lock (_lock) return _blocked.Contains((to, from));
    }

    /// <summary>Twilio's default keyword handling, unless the account has it off (<c>Twilio:KeywordReplies=Recoverly</c>).</summary>
    private void AnswerKeyword(string from, string to, string body)
    {
        var answered = ProviderKeywords.AnsweredByProvider(ProviderKeywords.Twilio, body, null, twilio.Value.KeywordReplies);
        var reply = answered switch
        {
            ProviderKeywords.Stop => ProviderStopReply,
            ProviderKeywords.Start => ProviderStartReply,
            ProviderKeywords.Help => ProviderHelpReply,
            _ => null,
        };
        if (reply is null) return;
        lock (_lock)
        {
            if (answered == ProviderKeywords.Stop) _blocked.Add((from, to));
            if (answered == ProviderKeywords.Start) _blocked.Remove((from, to));
        }
        Keep(new SimMessage
        {
            Sid = NewSid("SM"), From = to, To = from, Body = reply, Direction = "outbound", CreatedAt = time.GetUtcNow().UtcDateTime, Status = "delivered",
        });
    }

    /// <summary>What the simulator's line-type lookup says about <paramref name="phone"/>: "mobile" unless the page said otherwise.</summary>
    public string LineTypeOf(string phone)
    {
        lock (_lock) return _lineTypes.GetValueOrDefault(phone, "mobile");
    }

    /// <summary>The simulator page's "Caller's line" choice for a pretend phone.</summary>
    public void SetLineType(string phone, string lineType)
    {
        lock (_lock) _lineTypes[phone] = lineType;
    }

    public static string NewSid(string prefix) => prefix + Guid.NewGuid().ToString("N");

    public SimMessage AcceptFromApi(string from, string to, string body, string? statusCallback)
    {
        var message = new SimMessage
        {
            Sid = NewSid("SM"), From = from, To = to, Body = body, Direction = "outbound", CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        Keep(message);
        if (statusCallback is not null && IsOwnUrl(statusCallback)) _ = ReportDeliveryAsync(message, statusCallback);
        return message;
    }

    /// <summary>
    /// A call placed through the Calls API with inline TwiML: the simulated phone "answers" and hears every &lt;Say&gt;
    /// once (the demo shows it, so a line-verification code can be typed without a real phone). Null when the TwiML is unreadable.
    /// </summary>
    public SimCall? AcceptCallFromApi(string from, string to, string twiml)
    {
        string heard;
        try
        {
            var says = System.Xml.Linq.XDocument.Parse(twiml).Descendants("Say").Select(e => e.Value.Trim()).Distinct();
            heard = string.Join(" ", says);
        }
        catch (System.Xml.XmlException)
        {
            return null;
        }
        var call = new SimCall(NewSid("CA"), from, to, heard, time.GetUtcNow().UtcDateTime);
        lock (_lock)
        {
            _calls.Add(call);
            if (_calls.Count > MaxKept) _calls.RemoveRange(0, _calls.Count - MaxKept);
        }
        return call;
    }

    /// <summary>Calls Recoverly placed, newest first.</summary>
    public IReadOnlyList<SimCall> PlacedCalls()
    {
        lock (_lock) return _calls.OrderByDescending(c => c.CreatedAt).ToList();
    }

    /// <summary>True when <paramref name="url"/> has the scheme, host and port of this app's base URL.</summary>
    public bool IsOwnUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var target) && Uri.TryCreate(urls.Base, UriKind.Absolute, out var own)
        && Uri.Compare(target, own, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;

    public IReadOnlyList<SimMessage> Find(string? to, string? from)
    {
        lock (_lock)
            return _messages.Where(m => (to is null || m.To == to) && (from is null || m.From == from))
                .OrderByDescending(m => m.CreatedAt).ToList();
    }

    /// <summary>Everything a simulated phone has sent or received, oldest first.</summary>
    public IReadOnlyList<SimMessage> Conversation(string phone)
    {
        lock (_lock)
            return _messages.Where(m => m.To == phone || m.From == phone).OrderBy(m => m.CreatedAt).ToList();
    }

    /// <summary>A call from <paramref name="from"/> rings out and is forwarded to the Recoverly number: Twilio's voice webhook.</summary>
    public async Task<string> PlaceMissedCallAsync(string from, string to, CancellationToken ct)
    {
        var callSid = NewSid("CA");
        var fields = new Dictionary<string, string>
        {
            ["AccountSid"] = twilio.Value.AccountSid ?? "", ["ApiVersion"] = "2010-04-01", ["CallSid"] = callSid,
            ["CallStatus"] = "ringing", ["Direction"] = "inbound", ["From"] = from, ["To"] = to, ["Caller"] = from, ["Called"] = to,
            ["StirVerstat"] = "TN-Validation-Passed-A",
        };
        using var response = await PostWebhookAsync(urls.For("/twilio/voice"), fields, ct);
        var twiml = await response.Content.ReadAsStringAsync(ct);
        // Call-through: the business line rings out unanswered, and Twilio asks the Dial's action what to do next.
        if (DialAction(twiml) is { } action && IsOwnUrl(action))
        {
            var dialed = new Dictionary<string, string>(fields)
            {
                ["CallStatus"] = "in-progress", ["DialCallStatus"] = "no-answer", ["DialCallSid"] = NewSid("CA"), ["DialCallDuration"] = "0",
            };
            using var next = await PostWebhookAsync(action, dialed, ct);
            twiml = await next.Content.ReadAsStringAsync(ct);
        }
        fields["CallStatus"] = "completed";
        fields["CallDuration"] = "6";
        using var _ = await PostWebhookAsync(urls.For("/twilio/voice/status"), fields, ct);
        return twiml;
    }

    private static string? DialAction(string twiml)
    {
        try
        {
            return System.Xml.Linq.XDocument.Parse(twiml).Descendants("Dial").FirstOrDefault()?.Attribute("action")?.Value;
        }
        catch (System.Xml.XmlException)
        {
            return null;
        }
    }

    /// <summary>A simulated phone texts a Recoverly number: Twilio's incoming-message webhook.</summary>
    public async Task<SimMessage> SendFromPhoneAsync(string from, string to, string body, CancellationToken ct)
    {
        var message = new SimMessage
        {
            Sid = NewSid("SM"), From = from, To = to, Body = body, Direction = "inbound", CreatedAt = time.GetUtcNow().UtcDateTime,
            Status = "received",
        };
        Keep(message);
        AnswerKeyword(from, to, body);
        var fields = new Dictionary<string, string>
        {
            ["AccountSid"] = twilio.Value.AccountSid ?? "", ["ApiVersion"] = "2010-04-01", ["MessageSid"] = message.Sid,
            ["SmsSid"] = message.Sid, ["SmsMessageSid"] = message.Sid, ["SmsStatus"] = "received", ["From"] = from, ["To"] = to,
            ["Body"] = body, ["NumMedia"] = "0", ["NumSegments"] = "1",
        };
        using var _ = await PostWebhookAsync(urls.For("/twilio/sms"), fields, ct);
        return message;
    }

    /// <summary>HMAC-SHA1 over URL + sorted name/value pairs, base64 — Twilio's X-Twilio-Signature.</summary>
    public static string Sign(string authToken, string url, IReadOnlyDictionary<string, string> fields)
    {
        var text = new StringBuilder(url);
        foreach (var key in fields.Keys.OrderBy(k => k, StringComparer.Ordinal)) text.Append(key).Append(fields[key]);
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(text.ToString())));
    }

    private async Task ReportDeliveryAsync(SimMessage message, string callbackUrl)
    {
        try
        {
            foreach (var status in new[] { "sent", "delivered" })
            {
                await Task.Delay(TimeSpan.FromMilliseconds(150));
                message.Status = status;
                var fields = new Dictionary<string, string>
                {
                    ["AccountSid"] = twilio.Value.AccountSid ?? "", ["ApiVersion"] = "2010-04-01", ["MessageSid"] = message.Sid,
                    ["SmsSid"] = message.Sid, ["MessageStatus"] = status, ["SmsStatus"] = status, ["From"] = message.From, ["To"] = message.To,
                };
                using var _ = await PostWebhookAsync(callbackUrl, fields, CancellationToken.None);
            }
        }
        catch (Exception e)
        {
            log.LogWarning(e, "Simulator: status callback for {Sid} failed", message.Sid);
        }
    }

    private async Task<HttpResponseMessage> PostWebhookAsync(string url, Dictionary<string, string> fields, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Add("X-Twilio-Signature", Sign(twilio.Value.AuthToken ?? "", url, fields));
        request.Headers.Add("I-Twilio-Idempotency-Token", Guid.NewGuid().ToString());
        return await httpClients.CreateClient(HttpClientName).SendAsync(request, ct);
    }

    private void Keep(SimMessage message)
    {
        lock (_lock)
        {
            _messages.Add(message);
            if (_messages.Count > MaxKept) _messages.RemoveRange(0, _messages.Count - MaxKept);
        }
    }

    public static string Rfc2822(DateTime utc) => utc.ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture);
}
