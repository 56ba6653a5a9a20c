using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Twilio.Clients;
using Twilio.Exceptions;
using Twilio.Http;
using Twilio.Rest.Api.V2010.Account;
using Recoverly.Texts;
using Twilio.Types;

namespace Recoverly.Telephony;

/// <summary>
/// The Twilio adapter: sends through the official package, pointed at <c>Twilio:ApiBaseUrl</c>
/// (the real API, the built-in simulator, or a test double) by <see cref="ApiBaseUrlHandler"/>.
/// </summary>
public sealed class TwilioGateway(IHttpClientFactory httpClients, IOptions<TwilioOptions> options) : ITextProvider
{
    public const string HttpClientName = "twilio";

    public string StatusCallbackPath => "/twilio/sms/status";

    private ITwilioRestClient Client()
    {
        var o = options.Value;
        return new TwilioRestClient(o.AccountSid, o.AuthToken, accountSid: o.AccountSid,
            httpClient: new SystemNetHttpClient(httpClients.CreateClient(HttpClientName)));
    }

    public async Task<SendResult> SendAsync(OutgoingText text, CancellationToken ct)
    {
        var o = options.Value;
        var create = new CreateMessageOptions(new PhoneNumber(text.To)) { Body = text.Body, StatusCallback = text.StatusCallback };
        // Always From the business's own number, so replies and STOPs come back to that business; a Messaging
        // Service (its compliance features) may wrap it but never picks another tenant's number (docs/deploy.md).
        create.From = new PhoneNumber(text.From);
        if (!string.IsNullOrEmpty(o.MessagingServiceSid)) create.MessagingServiceSid = o.MessagingServiceSid;
        if (ValiditySeconds(text.ValidFor) is { } seconds) create.ValidityPeriod = seconds;
        try
        {
            var message = await MessageResource.CreateAsync(create, Client()).WaitAsync(ct);
            return new SendResult(SendOutcome.Accepted, message.Sid, message.Status?.ToString());
        }
        catch (ApiException e)
        {
            return Classify(e.Code, e.Status);
        }
        catch (ApiConnectionException e) when (NeverReachedProvider(e))
        {
            return new SendResult(SendOutcome.Retry, Reason: OutboxReason.ProviderUnreachable);
        }
        catch (Exception e) when (e is ApiConnectionException or HttpRequestException or TaskCanceledException or OperationCanceledException
                                  or TimeoutException or Newtonsoft.Json.JsonException)
        {
            // The request may have reached the provider: never resend blindly (docs/decisions/0004-unknown-send-outcome.md).
            return new SendResult(SendOutcome.InDoubt, Reason: OutboxReason.ProviderNoAnswer);
        }
    }

    /// <summary>Messages the provider holds for this recipient, newest first: Twilio lists a message as soon as it is created.</summary>
    public async Task<IReadOnlyList<ProviderMessage>> FindRecentAsync(string to, string? from, DateTime attemptStartedAt, CancellationToken ct)
    {
        var read = new ReadMessageOptions { To = new PhoneNumber(to), PageSize = 50, Limit = 50 };
        if (from is not null) read.From = new PhoneNumber(from);
        var page = await MessageResource.ReadAsync(read, Client()).WaitAsync(ct);
        // The package parses date_created into the server's local time; the dispatcher compares in UTC.
        return page.Select(m => new ProviderMessage(m.Sid, m.To, m.From?.ToString(), m.Body, m.Status?.ToString(), m.DateCreated?.ToUniversalTime())).ToList();
    }

    /// <summary>Twilio accepts 1 to 36000 whole seconds (docs/product/sending.md, "Texts that must not arrive late").</summary>
    public static int? ValiditySeconds(TimeSpan? validFor) =>
        validFor is { } v ? (int)Math.Clamp(Math.Floor(v.TotalSeconds), 1, 36000) : null;

    /// <summary>How long a sender over a carrier volume limit waits before its next attempt.</summary>
    public static readonly TimeSpan ThrottledRetryAfter = TimeSpan.FromMinutes(10);

    internal static SendResult Classify(int code, int httpStatus)
    {
        if (httpStatus == 429 || code == 20429)
            return new SendResult(SendOutcome.Retry, ErrorCode: code == 0 ? 20429 : code, Reason: OutboxReason.ProviderBusy);
        if (httpStatus >= 500)
            return new SendResult(SendOutcome.InDoubt, ErrorCode: code == 0 ? null : code, Reason: OutboxReason.ProviderServerError);
        var error = ProviderErrors.Describe(code);
        var outcome = error.Category switch
        {
            ErrorCategory.Retry => SendOutcome.Retry,
            // A volume limit: wait long enough for it to ease (the row's expiry still bounds the wait).
            ErrorCategory.Throttled => SendOutcome.Retry,
            ErrorCategory.OptedOut => SendOutcome.OptedOut,
            ErrorCategory.Landline => SendOutcome.Landline,
            ErrorCategory.Configuration => SendOutcome.Configuration,
            _ => SendOutcome.Permanent,
        };
        return new SendResult(outcome, ErrorCode: code, Reason: OutboxReason.ProviderError,
            RetryAfter: error.Category == ErrorCategory.Throttled ? ThrottledRetryAfter : null);
    }

    private static bool NeverReachedProvider(Exception e)
    {
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
            if (inner is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.NetworkUnreachable })
                return true;
        return false;
    }
}

/// <summary>
/// The Twilio package always builds https://api.twilio.com URLs; this handler re-bases them on
/// <c>Twilio:ApiBaseUrl</c> (which may carry a path prefix, as the simulator's does).
/// </summary>
public sealed class ApiBaseUrlHandler(IOptions<TwilioOptions> twilio, IOptions<TelephonyOptions> telephony, PublicUrls urls) : DelegatingHandler
{
    public const string SimulatorPath = "/simulator/twilio";

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var baseUrl = twilio.Value.ApiBaseUrl is { Length: > 0 } configured
            ? configured.TrimEnd('/')
            : telephony.Value.IsSimulator ? urls.For(SimulatorPath) : null;
        if (baseUrl is not null && request.RequestUri is { } uri)
            request.RequestUri = new Uri(baseUrl + uri.PathAndQuery);
        return base.SendAsync(request, ct);
    }
}
