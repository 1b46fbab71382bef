// Labelled photos as people keep them, read straight into the index everything downstream
// uses (no import step, nothing written beside the photos):
// - a folder of class folders (torchvision's ImageFolder, Keras' image_dataset_from_directory),
//   either ROOT/<class>/<photo> or ROOT/{train, validation | val, test}/<class>/<photo>;
// - a CSV file with a header: `photo,label`, optionally `x1,y1,x2,y2` (a garment box in
//   pixels) and `split` (train, val or validation, test). Photo paths are relative to the CSV.
//   A `tags` column instead of (or beside) `label` makes the set multi-label: the tags a photo
//   shows, separated by spaces (or by ';' or '|', so that a tag may hold spaces). A file
//   `tag_kinds.csv` beside it (`tag,kind` rows) groups the tags by kind (footwear,
//   accessories ...) for the page and the metrics, and lists the tags (also those no photo of
//   this CSV shows); without it every tag is of kind "tags". A file `item_boxes.csv` beside it
//   (`photo,tag,x1,y1,x2,y2` rows, pixels) gives where each tag of a photo is: training may then
//   crop to an item and its surroundings (data.item_crops), so that small items get pixels.
//   A photo with item boxes has one for every tag it shows.
// Without split folders or a split column, photos are split 80/10/10 by a hash of their path:
// the same split every time, for every command, and a photo added later does not move others.
// A set with training photos but none for validation gets them the same way, from train.
#pragma once

#include "data/dataset.h"

#include <string>

namespace vestis::data {

// Whether `root` is one of the layouts above (and not a DeepFashion-format folder).
bool is_photo_set(const std::string & root);

// Throws data_error naming the file and line, or the folder: an empty class folder, a CSV row
// with the wrong number of columns, a photo listed twice, an unknown split, a bad box. A CSV
// photo that does not exist is skipped and counted in `skipped` (the loader skips photos it
// cannot decode, or stops on them with strict).
dataset_index read_photo_set(const std::string & root, long long * skipped = nullptr);

// Image files by their extension: .jpg .jpeg .png .bmp .webp .tif .tiff, any case.
bool is_photo_file(const std::string & name);

// The split a photo without one falls in: 80 % train, 10 % val, 10 % test, by FNV-1a of `key`.
split hashed_split(const std::string & key);

// The file beside a tags CSV that gives each tag its kind.
constexpr char tag_kinds_file[] = "tag_kinds.csv";
// The file beside a tags CSV that gives the box of each tag of a photo.
constexpr char item_boxes_file[] = "item_boxes.csv";

}  // namespace vestis::data
