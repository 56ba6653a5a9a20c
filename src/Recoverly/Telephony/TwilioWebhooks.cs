using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Twilio.Security;

namespace Recoverly.Telephony;

/// <summary>
/// Every Twilio webhook passes here first: size and shape checks (400), then the
/// X-Twilio-Signature check against PublicBaseUrl + path + query (403). Nothing is recorded
/// before both pass.
/// </summary>
public sealed class TwilioSignatureFilter(IOptions<TwilioOptions> twilio, IOptions<RecoverlyOptions> recoverly,
    ILogger<TwilioSignatureFilter> log) : IEndpointFilter
{
    public const int MaxBodyBytes = 64 * 1024;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var request = http.Request;
        if (request.ContentLength is > MaxBodyBytes)
            return Results.Text("Request body too large.", statusCode: StatusCodes.Status400BadRequest);
        if (!request.HasFormContentType)
            return Results.Text("Expected an application/x-www-form-urlencoded body.", statusCode: StatusCodes.Status400BadRequest);

        IFormCollection form;
        try
        {
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
                size.MaxRequestBodySize = MaxBodyBytes;
            form = await request.ReadFormAsync(new FormOptions { ValueLengthLimit = MaxBodyBytes, KeyLengthLimit = 256, ValueCountLimit = 200 },
                http.RequestAborted);
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException or IOException)
        {
            return Results.Text("Malformed form body.", statusCode: StatusCodes.Status400BadRequest);
        }

        var signature = request.Headers["X-Twilio-Signature"].ToString();
        var token = twilio.Value.AuthToken;
        if (string.IsNullOrEmpty(signature) || string.IsNullOrEmpty(token))
        {
            log.LogWarning("Rejected webhook {Path}: missing signature", request.Path);
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }

        var url = WebhookUrl(request, recoverly.Value.PublicBaseUrl);
        var parameters = form.ToDictionary(f => f.Key, f => f.Value.ToString());
        if (!new RequestValidator(token).Validate(url, parameters, signature))
        {
            log.LogWarning("Rejected webhook {Path}: signature does not match", request.Path);
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }
        return await next(context);
    }

    /// <summary>The URL Twilio signed: the configured public base (or this request's own) + path + query.</summary>
    public static string WebhookUrl(HttpRequest request, string? publicBaseUrl)
    {
        var baseUrl = string.IsNullOrWhiteSpace(publicBaseUrl)
            ? $"{request.Scheme}://{request.Host}{request.PathBase}"
            : publicBaseUrl.TrimEnd('/');
        return baseUrl + request.Path + request.QueryString;
    }
}

/// <summary>Reads Twilio form fields with the checks every handler needs.</summary>
public static class TwilioForm
{
    public static string? Get(this IFormCollection form, string key) =>
        form.TryGetValue(key, out var v) && !string.IsNullOrEmpty(v.ToString()) ? v.ToString() : null;

    /// <summary>A Twilio SID: two letters and 32 hex digits (the simulator and tests use the same shape).</summary>
    public static bool LooksLikeSid(string? sid, string prefix) =>
        sid is { Length: >= 10 and <= 64 } && sid.StartsWith(prefix, StringComparison.Ordinal) && sid.All(char.IsAsciiLetterOrDigit);
}

/// <summary>
/// A database failure inside a webhook answers 503 with Retry-After, never a half-recorded 500: every webhook records
/// in one transaction, so nothing of the failed attempt stays, and Twilio's retry (same CallSid/MessageSid) is
/// recorded once (docs/deploy.md, "Webhooks and database outages").
/// </summary>
public sealed class WebhookDatabaseFailureFilter(ILogger<WebhookDatabaseFailureFilter> log) : IEndpointFilter
{
    public const string RetryAfterSeconds = "5";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (Exception e) when (IsDatabaseFailure(e) && !context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            // The exception type only: database messages can carry the values (phone numbers, bodies) of the failed statement.
            log.LogError("Database failure in webhook {Path} ({Error}); answered 503 for a retry", context.HttpContext.Request.Path, e.GetType().Name);
            context.HttpContext.Response.Headers.RetryAfter = RetryAfterSeconds;
            return Results.Text("Temporarily unavailable; retry.", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static bool IsDatabaseFailure(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is System.Data.Common.DbException or Microsoft.EntityFrameworkCore.DbUpdateException or TimeoutException) return true;
        return false;
    }
}

/// <summary>
/// A voice webhook's answer is what the caller hears, so any failure inside one (database down, a bug) still answers
/// 200 with TwiML: an apology and a hang-up (<see cref="WebhookEndpoints.SorryTwiml"/>). Twilio executes TwiML only from
/// a 2xx answer; a 5xx would play its "application error" recording whenever the fallback URL is missing or fails too,
/// and Twilio does not retry a voice webhook after a 5xx by default, so a 503 would buy no second chance (docs/webhooks.md).
/// Signature (403) and shape (400) refusals happen before this and stay as they are.
/// </summary>
public sealed class VoiceFailureFilter(ILogger<VoiceFailureFilter> log) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (Exception e) when (!context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            // The exception type only: messages can carry the failed statement's values (phone numbers).
            log.LogError("Voice webhook {Path} failed ({Error}); the caller heard the apology", context.HttpContext.Request.Path, e.GetType().Name);
            return Results.Content(WebhookEndpoints.SorryTwiml(), "text/xml");
        }
    }
}
