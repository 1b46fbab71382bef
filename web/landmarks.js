// Which landmarks a prediction may draw: only points inside the photo, and only the points the
// garment type has. DeepFashion's garment types fill these of its eight landmark slots (the
// same table as native/data/dataset.cpp's slots_of; shared/ and its WASM binding do not carry
// it yet): upper-body garments have no waistline, lower-body ones no collar or sleeves.
const deepfashion = ['left_collar', 'right_collar', 'left_sleeve', 'right_sleeve',
                     'left_waistline', 'right_waistline', 'left_hem', 'right_hem'];
const slotsOfType = {
  upper: new Set(['left_collar', 'right_collar', 'left_sleeve', 'right_sleeve', 'left_hem', 'right_hem']),
  lower: new Set(['left_waistline', 'right_waistline', 'left_hem', 'right_hem']),
  full: new Set(deepfashion),
};

// A card's landmark names that are not DeepFashion's, or a category without a type: nothing is
// known to be missing, so the point is drawn.
export function garmentHasLandmark(type, name) {
  const slots = slotsOfType[type];
  return !slots || !deepfashion.includes(name) || slots.has(name);
}

// Photo pixels have their centres at integers (shared/'s convention): the photo spans
// [-0.5, width - 0.5] x [-0.5, height - 0.5]. A landmark decoded in letterbox padding, or
// beyond the edge of a box that reaches out of the photo, lies outside it.
export const insidePhoto = (point, width, height) =>
  point.x >= -0.5 && point.x <= width - 0.5 && point.y >= -0.5 && point.y <= height - 0.5;

// Each landmark gets `drawn` (true or false) and, when not drawn, `hiddenBecause` (a phrase).
// `garmentType`: the type ('upper', 'lower', 'full' or '') of the top category.
export function judgeLandmarks(landmarks, garmentType, width, height) {
  for (const landmark of landmarks) {
    const onPhoto = insidePhoto(landmark, width, height);
    const onGarment = garmentHasLandmark(garmentType, landmark.name);
    landmark.drawn = onPhoto && onGarment;
    if (!onPhoto) landmark.hiddenBecause = 'outside the photo';
    else if (!onGarment) landmark.hiddenBecause = `not a point of ${garmentType === 'upper' ? 'an upper-body' : 'a lower-body'} garment`;
  }
  return landmarks;
}
