"""Attachment files as QuickBooks Online takes them: the file types and the size limit of an upload.

One table for the sandbox (which refuses other types) and the target (which refuses them before
sending). The types are those QuickBooks lists for attachments.
"""

from __future__ import annotations

#: QuickBooks' limit on one upload request (fault 6030: "should not exceed 100MB").
MAX_UPLOAD_BYTES = 100 * 1024 * 1024

#: File extension -> the content types QuickBooks takes for it.
CONTENT_TYPES: dict[str, tuple[str, ...]] = {
    "ai": ("application/postscript",),
    "csv": ("text/csv",),
    "doc": ("application/msword",),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",),
    "eps": ("application/postscript",),
    "gif": ("image/gif",),
    "jpeg": ("image/jpeg",),
    "jpg": ("image/jpeg", "image/jpg"),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet",),
    "pages": ("application/x-iwork-pages-sffpages", "application/vnd.apple.pages"),
    "pdf": ("application/pdf",),
    "png": ("image/png",),
    "rtf": ("application/rtf", "text/rtf"),
    "tif": ("image/tiff",),
    "tiff": ("image/tiff",),
    "txt": ("text/plain",),
    "xls": ("application/vnd.ms-excel",),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",),
    "xml": ("application/xml", "text/xml"),
}
#: Every content type QuickBooks takes for an attachment.
ALLOWED_TYPES = frozenset(t for types in CONTENT_TYPES.values() for t in types)


def allowed_content_type(content_type: str) -> bool:
    """Whether QuickBooks takes a file of this content type (parameters such as charset ignored)."""
    return content_type.split(";", 1)[0].strip().lower() in ALLOWED_TYPES


__all__ = ["ALLOWED_TYPES", "CONTENT_TYPES", "MAX_UPLOAD_BYTES", "allowed_content_type"]
